"""Random and mutated calendars give wins or clean problems, never a crash or junk."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smallwins import ScanContext
from smallwins.testing import run_scan
from tests.plugins.test_calendar import FIXTURES, NOW, detector

SEEDS = [
    (FIXTURES / name).read_bytes()
    for name in (
        "personal.ics",
        "recurring.ics",
        "timezones.ics",
        "google.ics",
        "rest.ics",
        "todos/thunderbird.ics",
        "todos/synology.ics",
    )
]
# Lines that real files get wrong, spliced in at random.
TRICKY = [
    b"BEGIN:VEVENT",
    b"END:VEVENT",
    b"BEGIN:VALARM",
    b"END:VCALENDAR",
    b"RRULE:FREQ=SECONDLY",
    b"RRULE:FREQ=DAILY;COUNT=99999999999",
    b"RRULE:FREQ=YEARLY;BYMONTH=13",
    b"RRULE:FREQ=DAILY;UNTIL=19000101",
    b"EXDATE:",
    b"RDATE;VALUE=PERIOD:20250601T100000Z/20250601T090000Z",
    b"DTSTART:00010101T000000Z",
    b"DTSTART;TZID=Nowhere/Land:20250614T100000",
    b"DTSTART;VALUE=DATE:20250230",
    b"DTEND:20250614",
    b"DURATION:-P1W",
    b"RECURRENCE-ID;RANGE=THISANDFUTURE:20250614T100000Z",
    b"UID:",
    b"STATUS:CANCELLED",
    b"STATUS:COMPLETED",
    b"COMPLETED:garbage",
    b"PERCENT-COMPLETE:abc",
    b"CATEGORIES:,,,",
    b"X-WR-TIMEZONE:Not/AZone",
    b"SUMMARY:Gym\\, again",
    b" folded continuation",
    b"\x00\xff\xfe",
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    lines = draw(st.sampled_from(SEEDS)).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(lines)))
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "scramble", "cut"]))
        if action == "delete" and where < len(lines):
            del lines[where]
        elif action == "duplicate" and where < len(lines):
            lines.insert(where, lines[where])
        elif action == "insert":
            lines.insert(where, draw(st.sampled_from(TRICKY) | st.binary(max_size=40)))
        elif action == "scramble" and where < len(lines):
            line = lines[where]
            at = draw(st.integers(0, len(line)))
            lines[where] = line[:at] + draw(st.binary(min_size=1, max_size=8)) + line[at + 1 :]
        elif action == "cut":
            lines = lines[:where]
    return b"\r\n".join(lines)


CALENDARS = (
    mutated()
    | st.binary(max_size=3000)
    | st.text(max_size=2000).map(lambda text: text.encode("utf-8", "surrogatepass"))
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # The fixtures' dates are around NOW: with the clock stopped there, mutated events are
    # in the window and reach every step, not just the parser.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ScanContext, "now", lambda _context: NOW)
        yield tmp_path_factory.mktemp("property")


NAMES = (f"cal{n}.ics" for n in itertools.count())


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=CALENDARS)
def test_any_calendar_gives_wins_or_clean_problems(folder: Path, data: bytes) -> None:
    path = folder / next(NAMES)
    path.write_bytes(data)
    det = detector(path, events=["*"], categories=["*"], rest=["*"], todos=True)

    first = run_scan(det, context(None))
    cursor = json.loads(json.dumps(first.cursor))
    again = run_scan(det, context(cursor))

    for result in (first, again):
        assert result.junk == []
        assert result.cursor_saved
        for problem in result.problems:
            assert problem.path == str(path)
            assert problem.message and len(problem.message) < 300
            assert "\n" not in problem.message and "Traceback" not in problem.message
    assert again.wins == []
    assert [p.message for p in again.problems] == [p.message for p in first.problems]


def context(cursor: object) -> ScanContext:
    return ScanContext(source="life", cursor=cursor, timezone=ZoneInfo("Europe/Berlin"))
