"""A daemon killed with SIGKILL while it drains its spool into a PostgreSQL ledger (a server
of the test's own, stopped with ``pg_ctl stop -m immediate`` while commits came), three times
at three points of the drain; started again each time, it finishes the drain: every spooled
win is in the ledger once, the spool is gone, and a kill costs at most one message told twice
(DESIGN section 9)."""

from __future__ import annotations

import os
import random
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests import postgres
from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess
from tests.lead_kills import seed_from_environment
from tests.machines import all_wins, machine_home, settle
from tests.receiver import Receiver
from tests.test_ledger_server_away import spooled_and_told
from tests.test_many_machines import daemons, receivers, start

if TYPE_CHECKING:
    import psycopg

__all__ = ["daemons", "receivers"]  # fixtures

# Six sources: the drain records each in a transaction of its own, in the order of their
# names, so the ledger's count of wins steps from one source to the next while it drains;
# three kills, each after at least one new step and none after the last.
SOURCES = 6
# Commits made in each repository while the server is away: enough that recording a source
# takes a while (about half a second here), so a kill lands in the middle of one.
COMMITS = 300
# The totals each source's 301 commits cross, made when the drain records them.
MARKS = (10, 25, 50, 100, 250)


def commits_stream(repo: Repo, count: int) -> bytes:
    """``count`` commits on top of main (one file each), for git fast-import."""
    when, out = int(time.time()), []
    for n in range(count):
        message = f"{repo.path.name} {n}\n"
        out.append(
            f"commit refs/heads/main\nauthor Me <{repo.email}> {when} +0000\n"
            f"committer Me <{repo.email}> {when} +0000\ndata {len(message.encode())}\n{message}"
            + ("from refs/heads/main^0\n" if n == 0 else "")
            + f"M 644 inline load{n % 50}.txt\ndata {len(str(n)) + 1}\n{n}\n\n"
        )
    return "".join(out).encode()


def fast_import(repo: Repo, count: int) -> None:
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo.path,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
        input=commits_stream(repo, count),
        check=True,
        capture_output=True,
    )


def wins_in(db: psycopg.Connection[Any]) -> int:
    row = db.execute("SELECT count(*) FROM wins").fetchone()
    return int(row[0]) if row else 0


def totals_made(server: postgres.Server) -> int:
    """How many totals the ledger made; none of its messages may wait."""
    import psycopg

    with psycopg.connect(server.url("ledger")) as db:
        waiting = db.execute("SELECT count(*) FROM outbox WHERE status <> 'sent'").fetchone()
        assert waiting == (0,)
        made = db.execute("SELECT count(*) FROM moments WHERE kind = 'total'").fetchone()
        return int(made[0]) if made else 0


def folded(title: str) -> int:
    """How many messages one told: those that waited, folded into one, or itself."""
    found = re.search(r"(\d+) messages while away", title)
    return int(found[1]) if found else 1


def kill_when(proc: DaemonProcess, server: postgres.Server, done: int, delay: float) -> int:
    """SIGKILL the daemon ``delay`` seconds after the ledger holds ``done`` wins, or as soon
    as it holds more; how many it holds once the daemon is gone."""
    import psycopg

    deadline = time.monotonic() + 60
    with psycopg.connect(server.url("ledger"), autocommit=True) as db:
        while (held := wins_in(db)) < done:
            assert proc.proc.poll() is None, proc.stderr
            assert time.monotonic() < deadline, f"{held} wins in the ledger; {proc.stderr}"
            time.sleep(0.005)
        reached = time.monotonic()
        while time.monotonic() - reached < delay and wins_in(db) == held:
            time.sleep(0.005)
        proc.kill9()
        return wins_in(db)


def laptop(
    tmp_path: Path, server: postgres.Server, phone: Receiver, desk: Receiver
) -> tuple[Path, list[Repo]]:
    """A machine whose sources are the repositories ``repo0``.. (one each, with one commit),
    telling the person's moments to ``phone`` and its own to ``desk``, at any hour."""
    repos = [Repo(tmp_path / f"repo{n}") for n in range(SOURCES)]
    for repo in repos:
        repo.commit(f"Start {repo.path.name}")
    home = machine_home(tmp_path / "laptop", server.url("ledger"), repos[:1], phone, desk, 3)
    config = home / "config.toml"
    config.write_text(
        config.read_text()
        + "".join(
            f'\n[sources.code{n}]\ndetector = "git"\nrepos = ["{repo.path}"]\n'
            for n, repo in enumerate(repos[1:], start=1)
        )
    )
    return home, repos


def test_a_daemon_killed_while_it_drains_its_spool_loses_nothing_and_records_nothing_twice(
    tmp_path: Path,
    own_server: postgres.Server,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
) -> None:
    """The drain records the sources one after the other (about 0.5 s each here), in the
    order of their names. The daemon is killed while it records one: a random delay (up to
    0.4 s, cut short if that source commits meanwhile) after the ledger holds the first
    source's wins, so the kill lands as it builds the second's rows, or with its transaction
    open (the server logs "unexpected EOF ... with an open transaction"), or just after it
    committed. Started again, it records the first again (adding nothing) and is killed the
    same way once it has recorded one source more; started again, it is killed as soon as
    it has recorded one more (just after that commit). At each kill the lead may be telling
    the totals the committed sources made. The fourth daemon finishes the drain."""
    own_server.admin("CREATE DATABASE ledger")
    phone, desk = receivers(), receivers()
    home, repos = laptop(tmp_path, own_server, phone, desk)
    daemon = start(daemons, home, tmp_path)
    daemon.wait_ready()
    settle(home, SOURCES)  # the first scans, of the history, are done: what comes is live
    own_server.stop()
    for repo in repos:
        fast_import(repo, COMMITS)
    spool = home / "state" / "spool.sqlite3"
    deadline = time.monotonic() + 60
    while not spooled_and_told(spool, SOURCES * COMMITS):
        assert time.monotonic() < deadline, daemon.stderr
        time.sleep(0.1)
    live = len(desk.messages)
    own_server.start()
    seed = seed_from_environment()
    print(f"seed {seed} (run again with SMALLWINS_SEED={seed})")
    delays = [*(random.Random(seed).uniform(0, 0.4) for _ in range(2)), 0.0]
    total, kills, held = SOURCES * (COMMITS + 1), [], SOURCES
    for delay in delays:
        held = kill_when(daemon, own_server, held + COMMITS, delay)
        kills.append(held)
        assert held < total and spool.exists(), (seed, kills, daemon.stderr)
        daemon = start(daemons, home, tmp_path)
    settle(home, total, timeout=60)
    deadline = time.monotonic() + 30
    while spool.exists():
        assert time.monotonic() < deadline, daemon.stderr
        time.sleep(0.1)
    time.sleep(1.5)  # a duplicate would come now
    said = daemon.stderr
    assert "the spool is drained" in said, said
    assert "Traceback" not in said and "ERROR" not in said, said
    keys = all_wins(home)
    assert len(keys) == len(set(keys)) == total
    # The live celebrations were told from the spool, before the drain, and not again.
    assert len(desk.messages) == live
    # Each total made once, and told once, or again after a kill that came after the
    # receiver's answer and before the message was marked sent (the same message sent again
    # by the next daemon, which may be killed the same way).
    assert totals_made(own_server) == SOURCES * len(MARKS)
    told = Counter((m["title"], m["message"]) for m in phone.messages)
    assert sum(folded(title) for title, _ in told) == SOURCES * len(MARKS), told
    assert sum(n - 1 for n in told.values()) <= len(kills), told
    assert daemon.stop() == 0
