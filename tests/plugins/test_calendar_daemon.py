"""End to end: the daemon tells a calendar event shortly after it ends, and not before."""

from __future__ import annotations

import math
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.daemon_proc import DaemonProcess, wins_json
from tests.hours import at_any_hour
from tests.plugins.test_calendar import calendar, event
from tests.receiver import Receiver


def told(receiver: Receiver, text: str, timeout: float = 20) -> dict[str, Any]:
    """The first message that says ``text`` (other rules may speak up beside it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [
            m for m in receiver.wait_for(len(receiver.messages) + 1, 0.2) if text in m["message"]
        ]
        if found:
            return found[0]
    raise AssertionError(f"nothing told with {text!r}: {receiver.messages}")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """As tests/conftest.py's ``home``, in a folder of its own: tests/plugins' conftest
    already makes tmp_path/home the user's home folder."""
    root = tmp_path / "state"
    root.mkdir()
    monkeypatch.setenv("SMALLWINS_HOME", str(root))
    monkeypatch.delenv("SMALLWINS_CONFIG", raising=False)
    monkeypatch.delenv("SMALLWINS_LOAD_PLUGINS", raising=False)
    at_any_hour(monkeypatch)
    return root


def write_item(folder: Path, uid: str, summary: str, end: float) -> None:
    """One event in its own file, written the way vdirsyncer does: to a .tmp, then renamed."""
    ends = datetime.fromtimestamp(end, UTC)
    text = calendar(event(uid, summary, ends.replace(hour=0, minute=0, second=0), ends))
    temporary = folder / f"{uid}.ics.tmp"
    temporary.write_text(text)
    os.replace(temporary, folder / f"{uid}.ics")


def test_events_that_end_while_it_runs_are_told_within_seconds(
    home: Path, tmp_path: Path, receiver: Receiver
) -> None:
    collection = tmp_path / "calendars" / "personal"
    collection.mkdir(parents=True)
    gym_ends = math.ceil(time.time()) + 5
    write_item(collection, "gym", "Gym", gym_ends)
    (home / "config.toml").write_text(
        f"""
timezone = "UTC"
[notify]
urls = ["{receiver.url}"]
coalesce_seconds = 0
[sources.life]
detector = "calendar"
path = "{collection.parent}"
events = ["Gym*", "Run"]
"""
    )
    daemon = DaemonProcess(home, tmp_path)
    try:
        daemon.wait_ready()
        # Planned while the daemon runs: the file change re-plans its wake-up.
        run_ends = gym_ends + 3
        write_item(collection, "run", "Run", run_ends)

        gym = told(receiver, "\u201cGym\u201d")
        run = told(receiver, "\u201cRun\u201d")
        assert gym["message"] == "\u201cGym\u201d - your 1st event today."
        assert gym["title"].endswith("Small win in personal")
        assert gym_ends <= gym["received_at"] < gym_ends + 1.5
        assert run["message"] == "\u201cRun\u201d - your 2nd event today."
        assert run_ends <= run["received_at"] < run_ends + 1.5
        # Nothing at all was told before the first event ended.
        assert min(m["received_at"] for m in receiver.messages) >= gym_ends
        assert daemon.stop() == 0
    finally:
        daemon.close()
    assert sorted((w["key"], w["detector"], w["kind"]) for w in wins_json()) == [
        ("event:gym", "calendar", "event"),
        ("event:run", "calendar", "event"),
    ]
