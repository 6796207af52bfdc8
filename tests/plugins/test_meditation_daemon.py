"""End to end: the daemon as a subprocess, an Insight Timer export swapped in by rename, a
real HTTP receiver."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.cli_run import smallwins
from tests.daemon_proc import DaemonProcess, wins_json
from tests.hours import at_any_hour
from tests.receiver import Receiver

HEADER = "Started At,Duration,Preset,Activity"


@pytest.fixture
def smallwins_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SMALLWINS_HOME in tmp_path, as tests/conftest.py's ``home`` makes it, under another
    name: this package's git fixtures take ``home``, and a folder named like a package would
    shadow it for the daemon run from tmp_path."""
    root = tmp_path / "smallwins-home"
    root.mkdir()
    monkeypatch.setenv("SMALLWINS_HOME", str(root))
    monkeypatch.delenv("SMALLWINS_CONFIG", raising=False)
    monkeypatch.delenv("SMALLWINS_LOAD_PLUGINS", raising=False)
    at_any_hour(monkeypatch)
    return root


@pytest.fixture
def daemon(smallwins_home: Path, tmp_path: Path) -> Iterator[list[DaemonProcess]]:
    started: list[DaemonProcess] = []
    yield started
    for proc in started:
        proc.close()


def row(moment: datetime, duration: str) -> str:
    wall = moment.astimezone(ZoneInfo("Europe/Berlin")).strftime("%m/%d/%Y %H:%M:%S")
    return f"{wall},{duration},,PracticeType.Meditation"


def test_a_re_export_swapped_in_by_rename_is_celebrated_once(
    smallwins_home: Path, tmp_path: Path, receiver: Receiver, daemon: list[DaemonProcess]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    exports = tmp_path / "Exports"
    exports.mkdir()
    export = exports / "InsightTimerLogs.csv"
    old = [row(now - timedelta(days=days), "0:20:0") for days in (1, 2, 3)]
    export.write_text("\r\n".join([HEADER, *old]))
    # Written a while ago: a fresh file would be read once it has been still for 2 s.
    os.utime(export, (time.time() - 60, time.time() - 60))
    (smallwins_home / "config.toml").write_text(
        f"""
timezone = "Europe/Berlin"

[notify]
urls = ["{receiver.url}"]
coalesce_seconds = 0.5

[sources.sits]
detector = "meditation"
path = "{export}"
"""
    )
    proc = DaemonProcess(smallwins_home, tmp_path)
    daemon.append(proc)
    proc.wait_ready()
    (summary,) = receiver.wait_for(1)
    assert "3 past sessions" in summary["message"], summary

    # The app writes a whole new file; a sync tool swaps it in by rename.
    made = time.time()
    partial = exports / ".InsightTimerLogs.csv.sync-tmp"
    partial.write_text("\r\n".join([HEADER, row(now - timedelta(minutes=20), "0:12:0"), *old]))
    os.replace(partial, export)

    messages = receiver.wait_for(2, timeout=5)
    assert len(messages) == 2, proc.stderr
    celebration = messages[1]
    assert celebration["title"].endswith("Small win in Insight Timer")
    assert "\u201c12 min meditation\u201d" in celebration["message"]
    assert "1st session today" in celebration["message"]
    assert celebration["type"] == "success"
    assert celebration["received_at"] - made < 3.0
    # The oldest row, held back while the file was fresh, is read again 2 s later: still
    # nothing new to tell.
    time.sleep(3)
    assert len(receiver.messages) == 2, [m["title"] for m in receiver.messages]
    assert proc.stop() == 0
    wins = wins_json()
    assert len(wins) == len({w["key"] for w in wins}) == 4
    assert [w["title"] for w in wins].count("12 min meditation") == 1
    assert {w["detector"] for w in wins} == {"meditation"}


def _once_config(home: Path, export: Path) -> None:
    (home / "config.toml").write_text(
        f'timezone = "Europe/Berlin"\n[sources.sits]\ndetector = "meditation"\npath = "{export}"\n'
    )


def test_run_once_waits_for_an_export_copied_in_just_now(
    smallwins_home: Path, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    export = tmp_path / "InsightTimerLogs.csv"
    # As the app writes it: no line end after the last row, so a fresh file may be cut short.
    rows = [row(now - timedelta(days=days), "0:20:0") for days in (1, 2)]
    export.write_text("\r\n".join([HEADER, *rows]))
    _once_config(smallwins_home, export)

    started = time.monotonic()
    done = smallwins("run", "--once", env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 10
    assert len(wins_json()) == 2
    status = json.loads(smallwins("status", "--json", env=dict(os.environ)).stdout)
    assert status["sources"]["sits"]["problems"] == []


def test_run_once_says_so_when_an_export_does_not_settle(
    smallwins_home: Path, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    export = tmp_path / "InsightTimerLogs.csv"
    export.write_text("\r\n".join([HEADER, row(now - timedelta(days=1), "0:20:0")]))
    _once_config(smallwins_home, export)
    writing = threading.Event()

    def keep_writing() -> None:  # a copy that goes on and on
        while not writing.wait(0.3):
            os.utime(export)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        started = time.monotonic()
        done = smallwins("run", "--once", env=dict(os.environ))
        elapsed = time.monotonic() - started
    finally:
        writing.set()
        writer.join()
    assert done.returncode == 0, done.stderr
    assert 4 < elapsed < 15
    assert "InsightTimerLogs.csv" in done.stderr and "still being written" in done.stderr
    assert wins_json() == []
    (problem,) = json.loads(smallwins("status", "--json", env=dict(os.environ)).stdout)["sources"][
        "sits"
    ]["problems"]
    assert "InsightTimerLogs.csv" in problem and "run --once" in problem
