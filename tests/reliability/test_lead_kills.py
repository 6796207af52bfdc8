"""The lead of a shared ledger killed with SIGKILL at random points, 20 times, while three
machines record wins and make milestones: the lead moves within the lease each time, every
message is told, a kill costs at most one repeat, and no win is lost or recorded twice.
benchmarks/soak_lead.py runs the same scenario for as many kills as asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import postgres
from tests.lead_kills import run_lead_kills, seed_from_environment
from tests.receiver import Receiver

KILLS = 20
LEASE = 2.0


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.stop()


def test_the_lead_killed_20_times_moves_within_the_lease_and_nothing_is_lost(
    tmp_path: Path, receivers: list[Receiver]
) -> None:
    url = postgres.server().url(postgres.fresh_database())
    seed = seed_from_environment()
    print(f"seed {seed} (run again with SMALLWINS_SEED={seed})")

    def receiver() -> Receiver:
        receivers.append(Receiver())
        return receivers[-1]

    outcome = run_lead_kills(
        tmp_path, url, receiver, kills=KILLS, seed=seed, lease=LEASE, say=print
    )
    print(
        f"{outcome.commits} commits, {outcome.messages} messages, {outcome.duplicates} repeated;"
        f" longest takeover {max(outcome.takeovers):.2f} s"
    )
    assert outcome.problems == [], f"seed {seed}: {outcome.problems}"
    assert len(outcome.takeovers) == KILLS
    assert "25" in " ".join(m["title"] for m in receivers[0].messages)
