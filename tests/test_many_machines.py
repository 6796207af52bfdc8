"""Several machines on one PostgreSQL ledger: real daemons, each with a home of its own,
committing to real repositories, telling a real HTTP receiver."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import postgres
from tests.cli_run import smallwins
from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess
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


def machine_home(
    folder: Path, url: str, repos: list[Repo], receiver: Receiver, extra: str = ""
) -> Path:
    """A machine: a SMALLWINS_HOME with a config naming the shared ledger."""
    folder.mkdir(parents=True)
    listed = ", ".join(f'"{r.path}"' for r in repos)
    (folder / "config.toml").write_text(
        f"""
[ledger]
url = "{url}"
{extra}
[notify]
urls = ["{receiver.url}"]
coalesce_seconds = 0
retry_initial_seconds = 0.3
retry_max_seconds = 1

[sources.code]
detector = "git"
repos = [{listed}]
"""
    )
    (folder / "config.toml").chmod(0o600)
    return folder


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
