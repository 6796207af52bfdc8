"""Calendar files built to wear the parser out: read in linear time, refused past the caps.

Promise (docs/reliability.md, "Hostile calendar files"): parsing is linear in the input and
bounded in memory; a file past a cap is refused in seconds with one problem that names it.
Time bounds here are generous, to catch quadratic work, not to measure speed.
"""

from __future__ import annotations

import time
from pathlib import Path

from smallwins_plugins.calendar import CalendarDetector
from smallwins_plugins.calendar.parse import MAX_DEPTH, MAX_ENTRIES, MAX_LINE_MIB

from smallwins.testing import ScanResult, scan_once
from tests.reliability.scan_process import scan_in_process

CALENDAR = "smallwins_plugins.calendar:CalendarDetector"

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


def _events(count: int) -> str:
    event = (
        "BEGIN:VEVENT\r\nUID:{n}\r\nDTSTART:20250101T100000Z\r\nDTEND:20250101T110000Z\r\n"
        "SUMMARY:Gym\r\nEND:VEVENT\r\n"
    )
    return HEAD + "".join(event.format(n=n) for n in range(count)) + "END:VCALENDAR\r\n"


def test_more_entries_than_the_cap_are_refused_whatever_max_file_mib_allows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "huge.ics"
    path.write_text(_events(MAX_ENTRIES + 1), newline="")

    scanned = scan_in_process(
        CALENDAR, {"path": str(path), "events": ["Gym*"], "max_file_mib": 1024}, timeout=60
    )

    line = 2 + 6 * MAX_ENTRIES + 1
    assert scanned.problems == [
        (
            f"has more than {MAX_ENTRIES:,} events and to-dos (line {line}), more than "
            "smallwins reads from one file; skipped (split it into smaller files)",
            line,
        )
    ]
    # icalendar held about 8 KB an event: over 400 MB for this file.
    assert scanned.peak_mib < 150


def test_a_property_past_the_line_cap_is_refused_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "long.ics"
    description = "DESCRIPTION:" + "A" * (48 << 20)
    path.write_text(_events(1).replace("SUMMARY:Gym", description), newline="")

    scanned = scan_in_process(
        CALENDAR, {"path": str(path), "events": ["Gym*"], "max_file_mib": 64}, timeout=60
    )

    assert scanned.problems == [
        (
            f"has a line of 48 MiB (line 7), more than the {MAX_LINE_MIB} MiB smallwins reads "
            "in one property; skipped",
            7,
        )
    ]
    # The file's own 48 MiB is read; icalendar held the line several times over.
    assert scanned.peak_mib < 48 + 100


def test_folded_lines_count_as_the_one_line_they_are(tmp_path: Path) -> None:
    path = tmp_path / "folded.ics"
    folded = "DESCRIPTION:" + "\r\n ".join(["A" * 74] * ((MAX_LINE_MIB << 20) // 74 + 1))
    path.write_text(_events(1).replace("SUMMARY:Gym", folded), newline="")

    result, _ = _scan(path, max_file_mib=64)

    assert [p.line for p in result.problems] == [7]
    assert result.problems[0].message.startswith("has a line of 4.16 MiB (line 7)")


def test_lines_ended_by_a_carriage_return_alone_are_held_to_the_caps(tmp_path: Path) -> None:
    path = tmp_path / "classic-mac.ics"
    path.write_bytes((HEAD + "BEGIN:VEVENT\r\n" * 100).replace("\r\n", "\r").encode())

    result, _ = _scan(path)

    assert [(p.message.split(";")[0], p.line) for p in result.problems] == [
        (f"has components nested more than {MAX_DEPTH} deep (line {MAX_DEPTH + 2})", 10)
    ]
