"""Calendar files built to wear the parser out: read in linear time, refused past the caps.

Promise (docs/reliability.md, "Hostile calendar files"): parsing is linear in the input and
bounded in memory; a file past a cap is refused in seconds with one problem that names it.
Time bounds here are generous, to catch quadratic work, not to measure speed.
"""

from __future__ import annotations

import time
from pathlib import Path

from smallwins_plugins.calendar import CalendarDetector
from smallwins_plugins.calendar.parse import MAX_DEPTH

from smallwins.testing import ScanResult, scan_once

HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"


def _scan(path: Path, **options: object) -> tuple[ScanResult, float]:
    started = time.perf_counter()
    result = scan_once(CalendarDetector, {"path": str(path), "events": ["Gym*"], **options})
    return result, time.perf_counter() - started


def test_a_hundred_thousand_nested_components_are_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "nested.ics"
    path.write_bytes((HEAD + "BEGIN:VEVENT\r\n" * 100_000).encode())

    result, seconds = _scan(path)

    assert [p.message for p in result.problems] == [
        f"has components nested more than {MAX_DEPTH} deep (line {MAX_DEPTH + 2}); real "
        "calendars nest 3 or 4 deep, so this is not one smallwins can read"
    ]
    assert result.problems[0].line == MAX_DEPTH + 2
    assert seconds < 20  # 35 s when every line looked through the whole nesting stack


def _cut_off_nests(count: int) -> str:
    # Each event nests as deep as allowed; without END:VCALENDAR icalendar refuses the file,
    # so every line goes through the component-by-component reading.
    inner = MAX_DEPTH - 2
    event = (
        "BEGIN:VEVENT\r\nUID:{n}\r\nDTSTART:20250101T100000Z\r\nSUMMARY:Gym\r\n"
        + "BEGIN:X-DEEP\r\n" * inner
        + "END:X-DEEP\r\n" * inner
        + "END:VEVENT\r\n"
    )
    return HEAD + "".join(event.format(n=n) for n in range(count))


def test_reading_event_by_event_is_linear_at_the_deepest_nesting_allowed(
    tmp_path: Path,
) -> None:
    small, large = tmp_path / "small.ics", tmp_path / "large.ics"
    small.write_text(_cut_off_nests(400), newline="")
    large.write_text(_cut_off_nests(1_600), newline="")

    _, small_seconds = _scan(small)
    result, large_seconds = _scan(large)

    assert result.problems == []
    assert large_seconds < 8 * small_seconds + 2
