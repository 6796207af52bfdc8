"""A daemon whose PostgreSQL server goes away: a server of the test's own, stopped with
``pg_ctl stop -m immediate`` (its processes killed, as in a crash) while a real daemon records
the commits of a real repository, then started again."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import postgres
from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess
from tests.receiver import Receiver
from tests.test_many_machines import all_wins, machine_home, receivers, settle, start, totals

__all__ = ["receivers"]  # a fixture


@pytest.fixture
def own_server() -> Iterator[postgres.Server]:
    started = postgres.own_server()
    yield started
    with contextlib.suppress(subprocess.SubprocessError):
        started.stop()
    shutil.rmtree(started.folder, ignore_errors=True)


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    started: list[DaemonProcess] = []
    yield started
    for proc in started:
        proc.close()


def alerts(receiver: Receiver) -> list[str]:
    return [m["title"] for m in receiver.messages if "cannot reach its ledger" in m["title"]]


def test_a_daemon_records_through_a_server_crash_each_commit_once_and_each_total_told_once(
    tmp_path: Path,
    own_server: postgres.Server,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
) -> None:
    own_server.admin("CREATE DATABASE ledger")
    repo = Repo(tmp_path / "project")
    repo.commit("Start")
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
    for number in range(29):
        assert sum(f"Change {number}”" in words for words in told) <= 1, told
    assert daemon.stop() == 0


def test_a_daemon_started_while_the_server_is_away_waits_for_it(
    tmp_path: Path,
    own_server: postgres.Server,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
) -> None:
    own_server.admin("CREATE DATABASE ledger")
    repo = Repo(tmp_path / "project")
    repo.commit("Start")
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
