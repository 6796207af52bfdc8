"""The calendar detector: to-dos ticked off, exactly once, as each client writes them."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from smallwins_plugins.calendar import CalendarDetector

from smallwins.testing import Harness
from tests.plugins.test_calendar import (
    FIXTURES,
    NOW,
    Clock,
    copy,
    detector,
    rewrite,
    scan,
)

TODOS = FIXTURES / "todos"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def todos(*paths: Path) -> CalendarDetector:
    return detector(*paths, events=[], todos=True)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_apple_stamps_completed(clock: Clock) -> None:
    result = scan(todos(TODOS / "apple.ics"))

    (win,) = result.wins
    assert win.key == "todo:31FC53CE-71A0-4AE1-8371-822B8DC4ECD9"
    assert (win.title, win.kind, win.value, win.unit) == ("Ticked off: Pay rent", "todo", 1, "")
    assert win.occurred_at == utc(2025, 6, 14, 18, 43, 2)
    assert win.details["dated_by"] == "COMPLETED"
    assert win.details["place"] == "apple"


def test_thunderbird_completes_one_occurrence_of_a_repeating_task(
    tmp_path: Path, clock: Clock
) -> None:
    path = copy(tmp_path, "todos/thunderbird.ics")
    det = todos(path)
    first = scan(det)
    # The series stays open; the override for June 13th at 09:00 in Berlin is done.
    assert [(w.key, w.occurred_at) for w in first.wins] == [
        ("todo:e0600bbe-b9d0-ba48-80b0-998409625d03/20250613T070000Z", utc(2025, 6, 13, 8, 15))
    ]

    done_next = (
        "BEGIN:VTODO\nUID:e0600bbe-b9d0-ba48-80b0-998409625d03\nSUMMARY:Water the plants\n"
        "STATUS:COMPLETED\nRECURRENCE-ID;TZID=Europe/Berlin:20250614T090000\n"
        "DTSTART;TZID=Europe/Berlin:20250614T090000\nCOMPLETED:20250615T111500Z\n"
        "PERCENT-COMPLETE:100\nSEQUENCE:1\nEND:VTODO\nEND:VCALENDAR"
    )
    rewrite(path, lambda text: text.replace("END:VCALENDAR", done_next))
    clock.now = NOW + timedelta(minutes=1)
    second = scan(det, first.cursor)

    new = [w for w in second.wins if w.key not in {f.key for f in first.wins}]
    assert [(w.key, w.history) for w in new] == [
        ("todo:e0600bbe-b9d0-ba48-80b0-998409625d03/20250614T070000Z", False)
    ]


def test_em_client_completes_an_occurrence_in_floating_time(clock: Clock) -> None:
    (win,) = scan(todos(TODOS / "emclient.ics")).wins

    assert win.key == "todo:3884083942925614120/20250614T000000"
    assert win.title == "Ticked off: Stretch"
    assert win.occurred_at == utc(2025, 6, 14, 14, 25, 4)


def test_synology_completes_without_a_stamp(clock: Clock) -> None:
    result = scan(todos(TODOS / "synology.ics"))

    dated = {w.title: (w.occurred_at, w.details["dated_by"]) for w in result.wins}
    assert dated == {
        # STATUS:COMPLETED beside PERCENT-COMPLETE:0: done, dated by LAST-MODIFIED.
        "Ticked off: Clean the bike": (utc(2025, 6, 13, 8), "LAST-MODIFIED"),
        # Nothing says when (LAST-MOD is not a property): when it was first seen done.
        "Ticked off: File the taxes": (NOW, "first seen"),
    }


def test_first_seen_is_remembered(tmp_path: Path, clock: Clock) -> None:
    path = copy(tmp_path, "todos/synology.ics")
    det = todos(path)
    first = scan(det)

    clock.now = NOW + timedelta(hours=5)
    rewrite(path, lambda text: text.replace("SEQUENCE:2\nPRIORITY", "SEQUENCE:3\nPRIORITY"))
    again = scan(det, first.cursor)

    assert [w.occurred_at for w in again.wins if "taxes" in w.title] == [NOW]


def test_percent_complete_alone_is_done_and_cancelled_is_not(clock: Clock) -> None:
    result = scan(todos(TODOS / "percent.ics"))

    # Not: 60 percent, cancelled (todoman counts it, we do not), done over 90 days ago.
    assert [(w.key, w.occurred_at, w.tags) for w in result.wins] == [
        ("todo:percent-done", utc(2025, 6, 12, 10), ("percent", "Home"))
    ]


def test_todoman_completes_a_repeating_task_once(tmp_path: Path, clock: Clock) -> None:
    tasks = tmp_path / "tasks" / "todo"
    tasks.mkdir(parents=True)
    shutil.copy(FIXTURES / "todoman" / "open.ics", tasks / "garden.ics")
    with Harness(tmp_path) as harness:
        harness.add_source("tasks", CalendarDetector, {"path": str(tasks.parent), "todos": True})
        assert harness.scan("tasks") == []

        # `todo done`: the RRULE is dropped from the done one, the next gets a new UID; and
        # a cancelled task, which todoman lists as done.
        shutil.copy(FIXTURES / "todoman" / "done.ics", tasks / "garden.ics")
        shutil.copy(FIXTURES / "todoman" / "next.ics", tasks / "garden-next.ics")
        shutil.copy(FIXTURES / "todoman" / "cancelled.ics", tasks / "shed.ics")
        clock.now = NOW + timedelta(minutes=1)
        (win,) = harness.scan("tasks")

        assert (win.key, win.title) == (
            "todo:2b3f0f3a6a3c4f7c9d1e5b8a7c6d4e2f@example.org",
            "Ticked off: Water the garden",
        )
        assert (win.occurred_at, win.day.isoformat()) == (utc(2025, 6, 15, 11), "2025-06-15")
        # As the daemon tells it: the celebration, then the first of the goal's totals.
        assert [m.kind for m in harness.moments()] == ["celebration", "total"]
        assert harness.moments()[0].message == (
            "\u201cTicked off: Water the garden\u201d - your 1st event today."
        )


def test_reopening_keeps_the_win_and_ticking_again_adds_none(tmp_path: Path, clock: Clock) -> None:
    path = copy(tmp_path, "todos/apple.ics")
    done = path.read_text()
    with Harness(tmp_path) as harness:
        harness.add_source("tasks", CalendarDetector, {"path": str(path), "todos": True})
        assert len(harness.scan("tasks")) == 1

        reopened = (
            done.replace("STATUS:COMPLETED", "STATUS:NEEDS-ACTION")
            .replace("PERCENT-COMPLETE:100\n", "")
            .replace("COMPLETED:20250614T184302Z\n", "")
        )
        rewrite(path, lambda _: reopened)
        clock.now = NOW + timedelta(hours=1)
        assert harness.scan("tasks") == []
        rewrite(path, lambda _: done.replace("20250614T184302Z", "20250615T125000Z"))
        clock.now = NOW + timedelta(hours=2)
        assert harness.scan("tasks") == []

        assert len(harness.wins("tasks")) == 1


def test_todos_count_only_when_asked(clock: Clock) -> None:
    result = scan(detector(TODOS, events=["*"]))

    assert result.wins == []
