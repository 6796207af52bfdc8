"""A config file deleted while the daemon runs: the last good config stays, and it says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess, wins_json
from tests.receiver import Receiver


def config_text(repo: Repo, receiver: Receiver) -> str:
    return f"""
[notify]
urls = ["{receiver.url}"]
coalesce_seconds = 0.3

[sources.code]
detector = "git"
repos = ["{repo.path}"]
"""


@pytest.fixture
def daemon(home: Path, repo: Repo, receiver: Receiver, tmp_path: Path) -> Iterator[DaemonProcess]:
    repo.commit()
    (home / "config.toml").write_text(config_text(repo, receiver))
    # Started away from the repository: the defaults would find nothing to watch here.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = DaemonProcess(home, elsewhere)
    yield proc
    proc.close()


def test_a_deleted_config_keeps_the_last_good_one_until_it_comes_back(
    home: Path, repo: Repo, receiver: Receiver, daemon: DaemonProcess
) -> None:
    daemon.wait_ready()
    receiver.wait_for(1)
    config = home / "config.toml"
    config.unlink()
    # Its source and the journal, which is always there.
    daemon.wait_for_log("is missing; keeping the last good config (2 sources)")
    assert f"{config} is missing" in daemon.stderr
    repo.commit("Made while the config was away")
    assert "Made while the config was away" in receiver.wait_for(2)[1]["message"]
    assert "config reloaded" not in daemon.stderr
    config.write_text(config_text(repo, receiver))
    daemon.wait_for_log("the config file changed: config reloaded, 2 sources")
    repo.commit("Made after it came back")
    assert "Made after it came back" in receiver.wait_for(3)[2]["message"]
    assert daemon.stop() == 0
    assert len(wins_json()) == 3
