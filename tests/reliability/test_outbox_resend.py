"""A message handed to a sender is frozen: killed while it is in flight, the daemon sends it
again word for word, never rebuilt into a bigger burst."""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smallwins.coach.celebration import burst_words
from smallwins.config import NotifySettings
from smallwins.delivery.deliverer import Deliverer
from smallwins.delivery.notify import Notifier
from smallwins.ledger import open_ledger, sqlite_url
from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess, status_json, wins_json
from tests.histories import builtin
from tests.reliability.outbox_endpoint import Endpoint
from tests.test_delivery import NOW, celebration

KILLS = 20


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    yield server
    server.close()


def write_config(home: Path, repo: Repo, url: str) -> None:
    (home / "config.toml").write_text(
        f"""
[notify]
urls = ["{url}"]
coalesce_seconds = 0.3
retry_initial_seconds = 0.3
retry_max_seconds = 1
plain = true
[sources.code]
detector = "git"
repos = ["{repo.path}"]
"""
    )


def wins_told(title: str, body: str) -> int:
    """How many wins a message tells of: a burst names its count, a celebration one; a
    milestone tells of none."""
    counted = re.match(r"(\d+) commits in project", title)
    if counted and "just landed" in body:
        return int(counted.group(1))
    return 1 if title.startswith("Small win") else 0


def test_kill_9_during_slow_sends_repeats_a_message_word_for_word_at_most_once_per_kill(
    home: Path, repo: Repo, endpoint: Endpoint
) -> None:
    rng = random.Random(11)
    endpoint.delay = 0.5  # every send is in flight for half a second
    repo.commit("History")
    write_config(home, repo, endpoint.url())
    started: list[DaemonProcess] = []
    try:
        first = DaemonProcess(home, repo.path)
        started.append(first)
        first.wait_ready()
        endpoint.wait_for_requests(1)  # the first scan's summary
        time.sleep(0.6)
        first.kill9()
        made = 0
        for _ in range(KILLS):
            daemon = DaemonProcess(home, repo.path)
            started.append(daemon)
            daemon.wait_ready()
            for _ in range(rng.randint(1, 4)):
                made += 1
                repo.commit(f"Win {made}")
            # Killed while a send is in flight: the endpoint has the request, not the answer.
            before = len(endpoint.requests)
            endpoint.wait_for_requests(before + 1)
            time.sleep(rng.uniform(0, 0.4))
            daemon.kill9()
        final = DaemonProcess(home, repo.path)
        started.append(final)
        final.wait_ready()
        deadline = time.monotonic() + 30
        while status_json()["outbox"]["pending"] and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        assert final.stop() == 0, final.stderr
    finally:
        for daemon in started:
            daemon.close()
    assert len(wins_json()) == made + 1  # nothing lost
    assert status_json()["outbox"] == {"pending": 0, "failed": 0}
    texts = [(m["title"], m["message"]) for m in endpoint.requests[1:]]
    copies = Counter(texts)
    # A message whose sending was cut by a kill comes again as it was: the repeats are whole
    # messages, one per kill at most, and no win is told in two different messages.
    assert len(texts) - len(copies) <= KILLS
    told = sum(wins_told(title, body) for title, body in copies)
    assert told == made, f"{told} win mentions in {len(copies)} messages for {made} wins"


def deliverer(tmp_path: Path, endpoint: Endpoint) -> Deliverer:
    notify = NotifySettings.model_validate({"urls": [endpoint.url()], "plain": True})
    return Deliverer(
        open_ledger(sqlite_url(tmp_path / "ledger.sqlite3")),
        Notifier(notify.urls, timeout=0.5),
        notify,
        ZoneInfo("UTC"),
        burst=partial(burst_words, builtin().templates),
        jitter=lambda: 0.5,
    )


def deliver(d: Deliverer, at: timedelta) -> None:
    for messages in d.plan(NOW + at).values():
        d.deliver_target(messages, NOW + at)


def test_a_message_without_an_answer_is_sent_again_as_it_was_not_grown(
    tmp_path: Path, endpoint: Endpoint
) -> None:
    d = deliverer(tmp_path, endpoint)
    endpoint.mode = "hang"
    for n in (1, 2):
        d.ledger.add_moment(celebration(n), ["target-1"])
    deliver(d, timedelta(0))  # no answer within the send timeout: the outcome is unknown
    (held,) = endpoint.requests
    assert d.ledger.outbox_counts() == {"pending": 2, "failed": 2}
    d.ledger.add_moment(celebration(3), ["target-1"])
    endpoint.mode = "up"
    deliver(d, timedelta(hours=1))
    again, new = endpoint.answered
    assert (again["title"], again["message"]) == (held["title"], held["message"])
    assert again["title"] == "2 commits in smallwins"
    assert new["message"] == "Commit 3"
    assert d.ledger.outbox_counts() == {"pending": 0, "failed": 0}


def test_a_message_refused_with_an_error_is_composed_anew_with_what_came_after(
    tmp_path: Path, endpoint: Endpoint
) -> None:
    d = deliverer(tmp_path, endpoint)
    endpoint.mode = "down"
    for n in (1, 2):
        d.ledger.add_moment(celebration(n), ["target-1"])
    deliver(d, timedelta(0))  # a 500: certainly not delivered
    d.ledger.add_moment(celebration(3), ["target-1"])
    endpoint.mode = "up"
    deliver(d, timedelta(hours=1))
    (burst,) = endpoint.answered
    assert burst["title"] == "3 commits in smallwins"
    assert d.ledger.outbox_counts() == {"pending": 0, "failed": 0}
