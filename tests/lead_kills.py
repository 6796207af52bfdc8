"""The lead killed with SIGKILL at random points, again and again, while wins and milestones
are made: the scenario behind tests/reliability/test_lead_kills.py (20 kills) and
benchmarks/soak_lead.py (as many as asked).

Real daemons, each with a SMALLWINS_HOME of its own, share one PostgreSQL ledger; each watches
a repository they all commit to and one of its own, tells its live wins to a desktop receiver of
its own (scope ``local``) and the person's moments to one phone (``shared``). A committer makes
a commit every 50-250 ms. Each round waits a random while, kills whichever daemon holds the
lease, times how long until another machine holds it, and starts the killed one again. Then
the commits stop, everything settles, and the ledger and the receivers are compared.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess
from tests.hours import ANY_HOUR
from tests.machines import all_wins, machine_home, settle

LEAD = (
    "SELECT machine FROM lease WHERE name = 'lead'"
    " AND expires_at > EXTRACT(EPOCH FROM clock_timestamp())"
)
# Every message frozen for a target, as it was to be sent (a moment's outbox rows share one).
SENT = (
    "SELECT s.title, s.body FROM sends s WHERE EXISTS"
    " (SELECT 1 FROM outbox o WHERE o.send_id = s.id)"
)


@dataclass
class Outcome:
    seed: int
    kills: int
    commits: int = 0
    takeovers: list[float] = field(default_factory=list)  # seconds from kill to a new lead
    messages: int = 0
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)


class Committer(threading.Thread):
    """Commits to the repositories, one at a time, until stopped."""

    def __init__(self, repos: list[Repo], rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.repos = repos
        self.rng = rng
        self.stopped = threading.Event()
        self.made = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.rng.uniform(0.05, 0.25)):
                repo = self.rng.choice(self.repos)
                repo.commit(f"{repo.path.name} {repo.count + 1}")
                self.made += 1
        except BaseException as exc:  # reported by the scenario, not lost in the thread
            self.error = exc


def lead_of(url: str) -> str | None:
    with psycopg.connect(url, autocommit=True) as db:
        row = db.execute(LEAD).fetchone()
    return row[0] if row else None


def wait_for_lead(url: str, other_than: str | None, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        lead = lead_of(url)
        if lead is not None and lead != other_than:
            return lead
        if time.monotonic() > deadline:
            raise AssertionError(f"no machine but {other_than} led within {timeout:.1f} s")
        time.sleep(0.02)


def run_lead_kills(
    root: Path,
    url: str,
    receiver: Callable[[], Any],
    *,
    kills: int,
    seed: int,
    lease: float = 2.0,
    machines: int = 3,
    say: Callable[[str], None] = lambda line: None,
) -> Outcome:
    """Run the scenario in ``root`` on the ledger ``url``; ``receiver()`` makes a started
    tests.receiver.Receiver. The outcome's ``problems`` list every promise broken."""
    rng = random.Random(seed)
    outcome = Outcome(seed, kills)
    together = Repo(root / "together")
    own = [Repo(root / f"own{n}") for n in range(machines)]
    for repo in (together, *own):
        repo.commit(f"Start {repo.path.name}")
    phone = receiver()
    phone.delay = 0.1  # a milestone is in flight a while: some kills land mid-send
    desks = [receiver() for _ in range(machines)]
    homes = [
        machine_home(root / f"m{n}", url, [together, own[n]], phone, desks[n], lease=lease)
        for n in range(machines)
    ]
    env = dict(ANY_HOUR)
    procs: dict[Path, DaemonProcess] = {}

    def start(home: Path) -> None:
        procs[home] = DaemonProcess(home, root, env={**env, "SMALLWINS_HOME": str(home)})

    for home in homes:
        start(home)
    try:
        for proc in procs.values():
            proc.wait_ready()
        ids = {(home / "state" / "machine").read_text().strip(): home for home in homes}
        settle(homes[0], 1 + machines)
        committer = Committer([together, *own], rng)
        committer.start()
        try:
            lead = wait_for_lead(url, None, 3 * lease)
            for round_ in range(1, kills + 1):
                time.sleep(rng.uniform(0, lease))
                lead = wait_for_lead(url, None, 3 * lease)
                victim = ids[lead]
                procs[victim].kill9()
                killed = time.monotonic()
                lead = wait_for_lead(url, lead, 3 * lease)
                took = time.monotonic() - killed
                outcome.takeovers.append(took)
                say(f"kill {round_}: {victim.name} -> {ids[lead].name} in {took:.2f} s")
                if took > lease + lease / 3 + 1:
                    outcome.problems.append(
                        f"kill {round_}: the lead moved after {took:.2f} s, lease {lease} s"
                    )
                procs[victim].close()
                start(victim)
        finally:
            committer.stopped.set()
            committer.join()
        if committer.error is not None:
            raise committer.error
        outcome.commits = committer.made + 1 + machines
        for proc in procs.values():
            proc.wait_ready()
        settle(homes[0], outcome.commits, timeout=60)
        time.sleep(1)  # a message sent twice would come now
        compare(outcome, url, all_wins(homes[0]), [phone, *desks])
        return outcome
    finally:
        for proc in procs.values():
            proc.close()
        for made in (phone, *desks):
            made.stop()


def compare(outcome: Outcome, url: str, keys: list[str], receivers: list[Any]) -> None:
    """Every commit recorded once; every message frozen for a target received; no more
    repeats than kills."""
    problems = outcome.problems
    if len(keys) != len(set(keys)):
        problems.append(f"wins recorded twice: {[k for k, n in Counter(keys).items() if n > 1]}")
    if len(set(keys)) != outcome.commits:
        problems.append(f"{len(set(keys))} wins recorded of {outcome.commits} commits")
    with psycopg.connect(url, autocommit=True) as db:
        waiting = db.execute("SELECT count(*) FROM outbox WHERE status <> 'sent'").fetchone()
        frozen = Counter((title, body) for title, body in db.execute(SENT).fetchall())
        unsent = db.execute(
            "SELECT count(*) FROM moments m WHERE NOT EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.moment_id = m.id)"
        ).fetchone()
    if waiting and waiting[0]:
        problems.append(f"{waiting[0]} outbox rows not sent")
    if unsent and unsent[0]:
        problems.append(f"{unsent[0]} moments with no outbox row")
    received = Counter(
        (m["title"], m["message"]) for receiver in receivers for m in receiver.messages
    )
    outcome.messages = sum(received.values())
    lost = frozen - received
    if lost:
        problems.append(f"{sum(lost.values())} messages never received: {list(lost)[:3]}")
    stray = [text for text in received if text not in frozen]
    if stray:
        problems.append(f"{len(stray)} messages received that were never frozen: {stray[:3]}")
    outcome.duplicates = sum((received - frozen).values())
    if outcome.duplicates > outcome.kills:
        problems.append(f"{outcome.duplicates} repeated messages for {outcome.kills} kills")


def seed_from_environment() -> int:
    """SMALLWINS_SEED when set (to run a failure again), else a new one."""
    given = os.environ.get("SMALLWINS_SEED")
    return int(given) if given else random.SystemRandom().randrange(2**32)
