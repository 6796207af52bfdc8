"""A daemon whose PostgreSQL server goes away: a server of the test's own, stopped with
``pg_ctl stop -m immediate`` (its processes killed, as in a crash) while a real daemon records
the commits of a real repository, then started again."""

from __future__ import annotations

import contextlib
import shutil
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests import postgres
from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess, daemon_signal
from tests.receiver import Receiver
from tests.test_many_machines import (
    all_wins,
    daemons,
    machine_home,
    receivers,
    settle,
    start,
    totals,
)

__all__ = ["daemons", "receivers"]  # fixtures


def project(tmp_path: Path, server: postgres.Server) -> Repo:
    """The server's database ``ledger``, and a repository with one commit."""
    server.admin("CREATE DATABASE ledger")
    repo = Repo(tmp_path / "project")
    repo.commit("Start")
    return repo


def alerts(receiver: Receiver) -> list[str]:
    return [m["title"] for m in receiver.messages if "cannot reach its ledger" in m["title"]]


def test_a_daemon_records_through_a_server_crash_each_commit_once_and_each_total_told_once(
    tmp_path: Path,
    own_server: postgres.Server,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
) -> None:
    repo = project(tmp_path, own_server)
    phone, desk = receivers(), receivers()
    home = machine_home(tmp_path / "laptop", own_server.url("ledger"), [repo], phone, desk, 3)
    config = home / "config.toml"  # the desktop takes system messages too
    config.write_text(
        config.read_text().replace('"local" }', '"local", tags = ["celebration", "system"] }')
    )
    daemon = start(daemons, home, tmp_path)
    daemon.wait_for_log("leads")
    settle(home, 1)
    stopped = threading.Event()

    def commits() -> None:  # one every 0.2 s, through the server's crash and return
        for number in range(29):
            repo.commit(f"Change {number}")
            if number == 4:
                own_server.stop()
                stopped.set()
            time.sleep(0.2)

    worker = threading.Thread(target=commits)
    worker.start()
    assert stopped.wait(30)
    daemon.wait_for_log("cannot be reached since")
    time.sleep(4)  # commits keep coming, the lease (3 s) runs out
    own_server.start()
    worker.join()
    settle(home, 30, timeout=60)
    keys = all_wins(home)
    assert len(keys) == len(set(keys)) == 30
    time.sleep(1.5)  # a duplicate would come now
    assert daemon.proc.poll() is None
    assert sorted(totals(phone.messages)) == ["10", "25"], [m["title"] for m in phone.messages]
    said = daemon.stderr
    assert said.count("cannot be reached since") == 1, said
    assert "Traceback" not in said and "ERROR" not in said, said
    assert "does not lead" in said and said.count("leads: it tells") == 2, said
    assert "answers again (it could not since" in said
    # Said once to the person too; each live win told once on the desktop.
    assert len(alerts(desk)) == 1 and not alerts(phone)
    told = [m["message"] for m in desk.messages if m not in alerts(desk)]
    assert told_twice(told, [f"Change {number}" for number in range(29)]) <= 1, told
    assert daemon.stop() == 0


def test_a_daemon_started_while_the_server_is_away_waits_for_it(
    tmp_path: Path,
    own_server: postgres.Server,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
) -> None:
    repo = project(tmp_path, own_server)
    phone = receivers()
    home = machine_home(tmp_path / "laptop", own_server.url("ledger"), [repo], phone)
    own_server.stop()
    daemon = start(daemons, home, tmp_path)
    daemon.wait_for_log("waiting for it")
    time.sleep(2)
    assert daemon.proc.poll() is None
    own_server.start()
    daemon.wait_for_log("answers: starting", timeout=30)
    daemon.wait_ready()
    settle(home, 1)
    said = daemon.stderr
    assert said.count("cannot be reached") == 1 and "Traceback" not in said, said
    assert daemon.stop() == 0


def test_a_reload_while_the_server_is_away_takes_the_new_config_and_tells_with_it(
    tmp_path: Path,
    own_server: postgres.Server,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
) -> None:
    repo = project(tmp_path, own_server)
    phone, desk, new_desk = receivers(), receivers(), receivers()
    home = machine_home(tmp_path / "laptop", own_server.url("ledger"), [repo], phone, desk, 3)
    daemon = start(daemons, home, tmp_path)
    daemon.wait_for_log("leads")
    settle(home, 1)
    own_server.stop()
    repo.commit("While away 1")
    daemon.wait_for_log("recording into the spool")
    spool = home / "state" / "spool.sqlite3"
    wait_until(lambda: spooled_and_told(spool, 1))
    config = home / "config.toml"
    config.write_text(config.read_text().replace(desk.url, new_desk.url))
    daemon_signal(daemon, signal.SIGHUP)
    # The coach cannot be drawn from the server: the rest of the reload holds all the same.
    daemon.wait_for_log("config reloaded")
    repo.commit("While away 2")
    wait_until(lambda: any("While away 2" in m["message"] for m in new_desk.messages))
    assert not any("While away 2" in m["message"] for m in desk.messages)
    own_server.start()
    settle(home, 3, timeout=60)
    keys = all_wins(home)
    assert len(keys) == len(set(keys)) == 3 and not spool.exists()
    said = daemon.stderr
    assert daemon.proc.poll() is None and "Traceback" not in said, said
    assert daemon.stop() == 0


def wait_until(done: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def told_twice(told: list[str], subjects: list[str]) -> int:
    """How many of the commits ``subjects`` name were told twice; none more often. One may
    be: the recording the server took as it went away without answering (then found again
    into the spool), or the message being sent then (sent again, as the outbox promises at
    least once)."""
    counts = [sum(f"“{subject}”" in words for words in told) for subject in subjects]
    assert max(counts) <= 2, told
    return counts.count(2)


def spooled_and_told(spool: Path, wins: int) -> bool:
    """Whether the spool holds ``wins`` wins and nothing waits in its outbox."""
    if not spool.exists():
        return False
    with contextlib.closing(sqlite3.connect(f"file:{spool}?mode=ro", uri=True)) as db:
        (held,) = db.execute("SELECT count(*) FROM wins").fetchone()
        (waiting,) = db.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()
    return bool(held == wins and waiting == 0)


def commit_in(repo: Repo, count: int, pause: float = 0.25) -> None:
    for number in range(count):
        repo.commit(f"{repo.path.name} {number}")
        time.sleep(pause)


def test_machines_apart_from_the_server_spool_and_drain_each_win_once_and_each_total_once(
    tmp_path: Path,
    own_server: postgres.Server,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
) -> None:
    own_server.admin("CREATE DATABASE ledger")
    url = own_server.url("ledger")
    together = Repo(tmp_path / "together")  # watched by both machines
    own = [Repo(tmp_path / f"own{n}") for n in range(2)]
    for repo in (together, *own):
        repo.commit(f"Start {repo.path.name}")
    phone = receivers()
    desks = [receivers() for _ in range(2)]
    homes = [
        machine_home(tmp_path / f"m{n}", url, [together, own[n]], phone, desks[n], 3)
        for n in range(2)
    ]
    procs = [start(daemons, home, tmp_path) for home in homes]
    for proc in procs:
        proc.wait_ready()
    settle(homes[0], 3)
    workers = [threading.Thread(target=commit_in, args=(r, 8)) for r in (together, *own)]
    for worker in workers:
        worker.start()
    time.sleep(0.6)
    own_server.stop()
    time.sleep(5)  # wins keep coming on both machines, into their spools
    assert all(p.proc.poll() is None for p in procs)
    assert all((home / "state" / "spool.sqlite3").exists() for home in homes)
    own_server.start()
    for worker in workers:
        worker.join()
    made = 3 + 8 * 3
    for home in homes:
        settle(home, made, timeout=60)
    keys = [all_wins(home) for home in homes]
    assert keys[0] == keys[1] and len(keys[0]) == len(set(keys[0])) == made
    time.sleep(1.5)  # a duplicate would come now
    assert sorted(totals(phone.messages)) == ["10", "25"], [m["title"] for m in phone.messages]
    for n, desk in enumerate(desks):
        told = [m["message"] for m in desk.messages]
        subjects = [f"{r.path.name} {number}" for r in (together, own[n]) for number in range(8)]
        assert told_twice(told, subjects) <= 1, told
        assert not [words for words in told if f"own{1 - n} " in words]
        assert not totals(desk.messages)
    for home, proc in zip(homes, procs, strict=True):
        assert not (home / "state" / "spool.sqlite3").exists()
        said = proc.stderr
        assert "recording into the spool" in said and "the spool is drained" in said, said
        assert "Traceback" not in said and "ERROR" not in said, said
        assert proc.stop() == 0


def laptop_apart(
    tmp_path: Path,
    server: postgres.Server,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
) -> tuple[Repo, Receiver, Receiver, Path, DaemonProcess]:
    """A machine that recorded its repository's first commit on the server, which is then
    stopped: the repository, the phone, the desktop, the machine's home and its daemon."""
    repo = project(tmp_path, server)
    phone, desk = receivers(), receivers()
    home = machine_home(tmp_path / "laptop", server.url("ledger"), [repo], phone, desk, 3)
    daemon = start(daemons, home, tmp_path)
    daemon.wait_ready()
    settle(home, 1)
    server.stop()
    return repo, phone, desk, home, daemon


def test_a_drain_stopped_before_the_spool_was_removed_is_run_again_and_adds_nothing(
    tmp_path: Path,
    own_server: postgres.Server,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
) -> None:
    repo, phone, desk, home, daemon = laptop_apart(tmp_path, own_server, receivers, daemons)
    commit_in(repo, 12)
    spool = home / "state" / "spool.sqlite3"
    deadline = time.monotonic() + 20
    while not spooled_and_told(spool, 12) and time.monotonic() < deadline:
        time.sleep(0.1)
    # The spool as a drain would find it if the daemon were killed after recording it into
    # the ledger and before removing it.
    kept = tmp_path / "kept"
    kept.mkdir()
    for part in spool.parent.glob("spool.sqlite3*"):
        shutil.copy(part, kept / part.name)
    own_server.start()
    daemon.wait_for_log("the spool is drained", timeout=30)
    settle(home, 13, timeout=30)
    time.sleep(1.5)
    told = (len(phone.messages), len(desk.messages))
    assert sorted(totals(phone.messages)) == ["10"]
    assert daemon.stop() == 0
    for part in kept.iterdir():
        shutil.copy(part, spool.parent / part.name)
    again = start(daemons, home, tmp_path)
    again.wait_for_log("the spool is drained", timeout=30)
    assert "12 wins, 0 new there" in again.stderr, again.stderr
    assert not spool.exists()
    time.sleep(1.5)
    keys = all_wins(home)
    assert len(keys) == len(set(keys)) == 13
    assert (len(phone.messages), len(desk.messages)) == told
    assert again.stop() == 0


def test_a_celebration_the_spool_could_not_send_is_sent_from_the_ledger_after_the_drain(
    tmp_path: Path,
    own_server: postgres.Server,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
) -> None:
    repo, _, desk, home, daemon = laptop_apart(tmp_path, own_server, receivers, daemons)
    desk.mode = "down"  # the desktop's receiver answers 500 all through the outage
    repo.commit("While away")
    daemon.wait_for_log("recording into the spool")
    wait_until(lambda: desk.attempts >= 2)
    own_server.start()
    daemon.wait_for_log("the spool is drained", timeout=30)
    assert "messages not sent yet: 1, sent from the ledger now" in daemon.stderr
    assert not (home / "state" / "spool.sqlite3").exists()
    desk.mode = "up"
    wait_until(lambda: any("While away" in m["message"] for m in desk.messages))
    time.sleep(1.5)  # a second one would come now
    told = [m["message"] for m in desk.messages if "While away" in m["message"]]
    assert len(told) == 1, told
    settle(home, 2)
    said = daemon.stderr
    assert "Traceback" not in said and "ERROR" not in said, said
    assert daemon.stop() == 0


def test_a_win_posted_to_the_inbox_while_the_server_is_away_is_told_and_recorded_once(
    tmp_path: Path,
    own_server: postgres.Server,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
) -> None:
    from tests.plugins.test_journal_inbox import TOKEN, as_json, post, started

    own_server.admin("CREATE DATABASE ledger")
    phone, desk = receivers(), receivers()
    home = tmp_path / "laptop"
    home.mkdir()
    (home / "config.toml").write_text(
        f'[ledger]\nurl = "{own_server.url("ledger")}"\nlease_seconds = 3\n'
        f'[notify]\nurls = [{{ url = "{desk.url}", scope = "local" }}, "{phone.url}"]\n'
        'coalesce_seconds = 0\nquiet_hours = ""\n'
        f'[inbox]\nlisten = "127.0.0.1:0"\ntoken = "{TOKEN}"\n'
    )
    (home / "config.toml").chmod(0o600)
    proc = DaemonProcess(home, tmp_path, "-v", env={"SMALLWINS_HOME": str(home)})
    daemons.append(proc)
    url = started(proc)
    status, answer = post(url, as_json({"title": "Ran 5 km"}))
    assert status == 201, answer
    settle(home, 1)
    own_server.stop()
    status, answer = post(url, as_json({"title": "Fixed the sink"}))
    assert status == 201, answer
    proc.wait_for_log("recording into the spool")
    deadline = time.monotonic() + 10
    while not any("Fixed the sink" in m["message"] for m in desk.messages):
        assert time.monotonic() < deadline, desk.messages
        time.sleep(0.1)
    own_server.start()
    proc.wait_for_log("the spool is drained", timeout=30)
    settle(home, 2)
    time.sleep(1.5)
    told = " ".join(m["message"] for m in desk.messages + phone.messages)
    assert told.count("Fixed the sink") == 1 and told.count("Ran 5 km") == 1, told
    assert " ERROR " not in proc.stderr, proc.stderr  # (tracebacks at DEBUG: -v)
    assert proc.stop() == 0
