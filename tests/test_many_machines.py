"""Several machines on one PostgreSQL ledger: real daemons, each with a home of its own,
committing to real repositories, telling a real HTTP receiver."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import time as dtime
from pathlib import Path
from typing import Any

import pytest

from tests import postgres
from tests.cli_run import smallwins
from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess
from tests.machines import all_wins, machine_home, settle, totals
from tests.receiver import Receiver


@pytest.fixture
def ledger_url() -> str:
    return postgres.server().url(postgres.fresh_database())


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    started: list[DaemonProcess] = []
    yield started
    for proc in started:
        proc.close()


def start(daemons: list[DaemonProcess], home: Path, cwd: Path) -> DaemonProcess:
    proc = DaemonProcess(home, cwd, env={"SMALLWINS_HOME": str(home)})
    daemons.append(proc)
    return proc


def test_a_copied_state_folder_is_one_machine_and_its_second_daemon_exits_75(
    tmp_path: Path, ledger_url: str, repo: Repo, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    repo.commit()
    first = machine_home(tmp_path / "laptop", ledger_url, [repo], receiver)
    start(daemons, first, repo.path).wait_ready()
    machine = (first / "state" / "machine").read_text().strip()
    copy = machine_home(tmp_path / "copy", ledger_url, [repo], receiver)
    (copy / "state").mkdir()
    shutil.copy(first / "state" / "machine", copy / "state" / "machine")
    second = smallwins("run", cwd=repo.path, env={**os.environ, "SMALLWINS_HOME": str(copy)})
    assert second.returncode == 75
    (line,) = second.stderr.splitlines()
    assert machine in line and "delete" in line and str(copy / "state" / "machine") in line


@pytest.fixture
def receivers() -> Iterator[Callable[[], Receiver]]:
    made: list[Receiver] = []

    def make() -> Receiver:
        made.append(Receiver())
        return made[-1]

    yield make
    for receiver in made:
        receiver.stop()


@pytest.mark.parametrize("machines", [2, 3])
def test_machines_committing_at_once_record_each_win_once_and_tell_each_total_once(
    tmp_path: Path,
    ledger_url: str,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
    machines: int,
) -> None:
    together = Repo(tmp_path / "together")  # watched by every machine
    own = [Repo(tmp_path / f"own{n}") for n in range(machines)]
    for repo in (together, *own):
        repo.commit(f"Start {repo.path.name}")  # the same words would be the same commit
    phone = receivers()
    desks = [receivers() for _ in range(machines)]
    homes = [
        machine_home(tmp_path / f"m{n}", ledger_url, [together, own[n]], phone, desks[n])
        for n in range(machines)
    ]
    procs = [start(daemons, home, tmp_path) for home in homes]
    for proc in procs:
        proc.wait_ready()
    settle(homes[0], 1 + machines)

    def commit_in(repo: Repo, count: int) -> None:
        for number in range(count):
            repo.commit(f"{repo.path.name} {number}")
            time.sleep(0.05)

    workers = [threading.Thread(target=commit_in, args=(together, 8))] + [
        threading.Thread(target=commit_in, args=(repo, 8)) for repo in own
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    made = 1 + machines + 8 * (1 + machines)
    settle(homes[0], made)
    keys = all_wins(homes[-1])
    assert len(keys) == len(set(keys)) == made
    time.sleep(1)  # a duplicate would come now
    told = phone.messages
    assert sorted(totals(told)) == ["10", "25"], [m["title"] for m in told]
    titles = [m["title"] for m in told]
    assert len(titles) == len(set(titles))
    # Each machine told its own live wins on its own desktop, and only there.
    assert all(desk.messages for desk in desks)
    assert not totals([m for desk in desks for m in desk.messages])
    for n, desk in enumerate(desks):
        others = {f"own{k} " for k in range(machines) if k != n}
        assert not [m for m in desk.messages if any(o in m["message"] for o in others)]
    for proc in procs:
        assert proc.stop() == 0


def test_when_the_lead_is_killed_another_takes_over_within_the_lease_and_tells_what_it_held(
    tmp_path: Path,
    ledger_url: str,
    receivers: Callable[[], Receiver],
    daemons: list[DaemonProcess],
) -> None:
    repo = Repo(tmp_path / "project")
    repo.commit("Start")
    phone = receivers()
    lease = 2.0
    homes = [
        machine_home(tmp_path / name, ledger_url, [repo], phone, lease=lease)
        for name in ("laptop", "desktop")
    ]
    lead = start(daemons, homes[0], tmp_path)
    lead.wait_for_log("leads")
    other = start(daemons, homes[1], tmp_path)
    other.wait_ready()
    settle(homes[0], 1)
    # The phone takes the 10th commit's total and never answers: the lead dies sending it.
    phone.mode = "hang"
    for number in range(9):
        repo.commit(f"Change {number}")
    deadline = time.monotonic() + 20
    while not phone.attempts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert phone.attempts == 1
    lead.kill9()
    killed = time.monotonic()
    phone.mode = "up"
    other.wait_for_log("leads", timeout=3 * lease)
    assert time.monotonic() - killed < lease + lease / 3 + 1
    # What the lead held (frozen, its outcome unknown) is sent again, word for word.
    told = phone.wait_for(1)
    assert totals(told) == ["10"]
    for number in range(15):
        repo.commit(f"More {number}")
    settle(homes[1], 25)
    time.sleep(1)
    assert sorted(totals(phone.messages)) == ["10", "25"]
    keys = all_wins(homes[1])
    assert len(keys) == len(set(keys)) == 25
    done = smallwins(
        "ledger", "status", "--json", env={**os.environ, "SMALLWINS_HOME": str(homes[1])}
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    ids = [(home / "state" / "machine").read_text().strip() for home in homes]
    assert found["machine"] == found["lead"] == ids[1]
    assert sorted(m["id"] for m in found["machines"]) == sorted(ids)
    assert "@" in found["ledger"] and found["warnings"] == []
    assert other.stop() == 0


def test_ledger_status_warns_when_machines_settings_differ(ledger_url: str) -> None:
    from smallwins.config import Settings
    from smallwins.daemon.machine import person_settings
    from smallwins.ledger import open_ledger
    from smallwins.status import ledger_report

    with open_ledger(ledger_url) as laptop, open_ledger(ledger_url) as desktop:
        laptop.join("m-one", "laptop", person_settings(Settings(timezone="UTC")))
        laptop.heartbeat(30)
        berlin = Settings(timezone="Europe/Berlin", digest="off")
        desktop.join("m-two", "desktop", person_settings(berlin))
        found = ledger_report(desktop, "m-two")
    assert (found["machine"], found["lead"], found["shared"]) == ("m-two", "m-one", True)
    assert [m["label"] for m in found["machines"]] == ["desktop", "laptop"]
    (warning,) = found["warnings"]
    assert "desktop (m-two)" in warning and "laptop (m-one)" in warning
    assert "in digest, timezone:" in warning


@pytest.mark.parametrize("isolation", ["read committed", "repeatable read"])
def test_a_machine_writes_its_wins_while_another_records_and_its_coach_then_sees_both(
    ledger_url: str, isolation: str
) -> None:
    """The recording lock is waited for only by the coach's part: a machine's win rows are
    written while another machine's coach works, and its coach, once it has the lock, sees
    what the other recorded, whatever the server's default isolation."""
    import psycopg

    from smallwins.ledger import open_ledger
    from smallwins.ledger.protocol import LedgerView
    from tests.test_ledger import ZONE, win

    inside, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def holding(view: LedgerView, new: list[object]) -> list[Any]:
        inside.set()
        assert release.wait(20)
        return []

    def looking(view: LedgerView, new: list[object]) -> list[Any]:
        seen.extend(w.key for w in view.wins())
        return []

    def record(ledger: Any, key: str, moments_for: Callable[..., list[Any]]) -> None:
        ledger.record(
            "code",
            "git",
            [win(key)],
            None,
            zone=ZONE,
            day_starts_at=dtime(4),
            moments_for=moments_for,
        )

    database = ledger_url.rsplit("/", 1)[1].split("?", 1)[0]
    with psycopg.connect(ledger_url, autocommit=True) as db:
        db.execute(f"ALTER DATABASE {database} SET default_transaction_isolation = '{isolation}'")
    with open_ledger(ledger_url) as laptop, open_ledger(ledger_url) as desktop:
        laptop.join("m-one", "laptop")
        desktop.join("m-two", "desktop")
        first = threading.Thread(target=record, args=(laptop, "a", holding))
        first.start()
        assert inside.wait(20)
        second = threading.Thread(target=record, args=(desktop, "b", looking))
        second.start()
        try:
            with psycopg.connect(ledger_url, autocommit=True) as db:
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    # The desktop waits for the lock, holding the win row it wrote.
                    waiting = db.execute(
                        "SELECT count(*) FROM pg_locks a JOIN pg_locks w ON w.pid = a.pid"
                        " WHERE a.locktype = 'advisory' AND NOT a.granted"
                        " AND w.relation = 'wins'::regclass AND w.granted"
                    ).fetchone()
                    if waiting and waiting[0]:
                        break
                    time.sleep(0.02)
                else:
                    raise AssertionError("the desktop did not write its win before the lock")
                assert not seen
        finally:
            release.set()
            first.join(20)
            second.join(20)
    assert sorted(seen) == ["a", "b"]
