"""Calendar detector figures (DESIGN.md section 10): a 5,000-event file, a 5,000-file vdir.

    .venv/bin/python benchmarks/bench_calendar.py            # the full run (about a minute)
    .venv/bin/python benchmarks/bench_calendar.py --quick    # fewer repeats

The 5,000-event file has a fifth of its events recurring (weekly, Mon/Wed/Fri, daily for 30
days, monthly), all-day and timed events over the last year and the next two months, a few
vacations, in a VTIMEZONE; the vdir has the same mix, one event a file, in ten collections.
Both are made in a temporary folder, relative to now, and scanned as the daemon does (a
source, a cursor, the user's zone). The floor of a first scan is icalendar parsing the
file; the floor of a rescan is one ``stat`` per file. A first scan is shown as the best of
its runs (the median beside it): on a shared machine the best is what the code costs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from smallwins_plugins.calendar import CalendarDetector, CalendarOptions, files
from table import markdown_table

from smallwins import ScanContext
from smallwins.plugins.scan import ScanResult, run_scan

ZONE = ZoneInfo("Europe/Berlin")
NAMES = ("Gym", "Run", "Yoga", "Meeting", "Lunch", "Dentist", "Call", "Review", "Standup", "Read")
RULES = (
    "RRULE:FREQ=WEEKLY",
    "RRULE:FREQ=DAILY;COUNT=30",
    "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR",
    "RRULE:FREQ=MONTHLY",
)
# What a person would count: a few kinds of sessions, a category, to-dos and rest days.
REALISTIC = {
    "events": ["Gym*", "Run*", "Yoga*"],
    "categories": ["Sport"],
    "rest": ["Vacation*"],
    "todos": True,
}
EVERYTHING = {"events": ["*"], "todos": True}
VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


def vevent(n: int, now: datetime, rnd: random.Random) -> str:
    start = (now + timedelta(days=rnd.uniform(-365, 60))).astimezone(ZONE)
    start = start.replace(minute=rnd.choice((0, 30)), second=0, microsecond=0)
    end = start + timedelta(minutes=rnd.choice((30, 45, 60, 90)))
    lines = ["BEGIN:VEVENT", f"UID:bench-{n}@example.com", "DTSTAMP:20260101T000000Z"]
    vacation = n % 500 == 7
    lines.append(f"SUMMARY:{'Vacation' if vacation else NAMES[n % len(NAMES)]} {n}")
    if n % 10 == 3 or vacation:
        day, days = start.date(), 3 if vacation else 1
        lines += [
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days):%Y%m%d}",
        ]
    else:
        lines += [
            f"DTSTART;TZID=Europe/Berlin:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=Europe/Berlin:{end:%Y%m%dT%H%M%S}",
        ]
    if n % 5 == 0:
        lines.append(RULES[(n // 5) % len(RULES)])
    if n % 7 == 0:
        lines.append("CATEGORIES:Sport,Health")
    lines.append("END:VEVENT")
    return "\r\n".join(lines) + "\r\n"


def vcalendar(body: str) -> str:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//smallwins bench//EN\r\n"
    return head + VTIMEZONE.replace("\n", "\r\n") + body + "END:VCALENDAR\r\n"


def big_file(path: Path, events: int, now: datetime) -> None:
    rnd = random.Random(1)
    path.write_text(vcalendar("".join(vevent(n, now, rnd) for n in range(events))), newline="")


def vdir(root: Path, items: int, now: datetime) -> list[Path]:
    rnd = random.Random(2)
    paths = []
    for n in range(items):
        collection = root / f"calendar{n % 10}"
        collection.mkdir(parents=True, exist_ok=True)
        path = collection / f"bench-{n}.ics"
        path.write_text(vcalendar(vevent(n, now, rnd)), newline="")
        paths.append(path)
    return paths


def scan(det: CalendarDetector, cursor: Any = None) -> tuple[float, ScanResult]:
    context = ScanContext(source="bench", cursor=cursor, timezone=ZONE)
    began = time.perf_counter()
    result = run_scan(det, context)
    elapsed = time.perf_counter() - began
    result.cursor = json.loads(json.dumps(result.cursor))
    return elapsed, result


def scanner(det: CalendarDetector, cursor: Any = None) -> Callable[[], float]:
    return lambda: scan(det, cursor)[0]


def median_of(repeats: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(repeats))


def interleaved(repeats: int, measures: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Each measure ``repeats`` times, taking turns: load from elsewhere on the machine then
    falls on all of them alike, and the best of each is comparable with the others."""
    times: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(repeats):
        for name, measure in measures.items():
            times[name].append(measure())
    return times


def count_parses() -> list[int]:
    parsed: list[int] = []
    real = files.parse

    def counting(data: bytes) -> Any:
        parsed.append(len(data))
        return real(data)

    files.parse = counting
    return parsed


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--items", type=int, default=5_000)
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    now = datetime.now(UTC)
    rows: list[tuple[str, str, str, str, bool | None]] = []
    notes: list[str] = [f"{now:%Y-%m-%d}, {machine()}"]

    began = time.perf_counter()
    import icalendar
    import recurring_ical_events  # type: ignore[import-untyped]  # ships no type hints

    imports = time.perf_counter() - began
    notes.append(
        f"importing icalendar and recurring-ical-events: {imports * 1000:.0f} ms, once per "
        "process, on the first file read (not when the plugin loads)"
    )
    del recurring_ical_events
    parsed = count_parses()

    with tempfile.TemporaryDirectory(prefix="smallwins-bench-calendar-") as tmp:
        root = Path(tmp)
        path = root / "big.ics"
        big_file(path, args.events, now)
        data = path.read_bytes()
        size = f"{len(data) / 2**20:.1f} MiB"

        def parse_only() -> float:
            began = time.perf_counter()
            icalendar.Calendar.from_ical(data)
            return time.perf_counter() - began

        detectors = {
            label: CalendarDetector("bench", CalendarOptions(path=[str(path)], **options))
            for label, options in (("realistic", REALISTIC), ("every event counts", EVERYTHING))
        }
        times = interleaved(
            repeats, {"parse": parse_only} | {k: scanner(d) for k, d in detectors.items()}
        )
        floor = min(times["parse"])
        for label, det in detectors.items():
            first = min(times[label])
            _, result = scan(det)
            rows.append(
                (
                    f"first scan, {args.events:,}-event file ({label})",
                    f"{first * 1000:.0f} ms (median {statistics.median(times[label]) * 1000:.0f})",
                    f"parse alone {floor * 1000:.0f} ms ({first / floor:.2f}x)",
                    "< 2 s",
                    first < 2,
                )
            )
            notes.append(
                f"{label}: {len(result.wins):,} wins, {len(result.rest_days or []):,} rest days, "
                f"{len(json.dumps(result.cursor)) / 1024:.0f} KiB cursor; file {size}"
            )
            again = median_of(repeats, scanner(det, result.cursor))
            rows.append(
                (f"rescan, unchanged file ({label})", f"{again * 1000:.1f} ms", "", "", None)
            )

        folder = root / "vdir"
        items = vdir(folder, args.items, now)
        det = CalendarDetector("bench", CalendarOptions(path=[str(folder)], **REALISTIC))
        parsed.clear()
        first_vdir, result = scan(det)
        rows.append(
            (
                f"first scan, {args.items:,}-file vdir",
                f"{first_vdir:.2f} s",
                f"{len(parsed):,} files parsed",
                "",
                None,
            )
        )

        def stat_all() -> float:
            began = time.perf_counter()
            for item in items:
                item.stat()
            return time.perf_counter() - began

        stat_floor = median_of(repeats, stat_all)
        parsed.clear()
        unchanged = median_of(repeats, scanner(det, result.cursor))
        rows.append(
            (
                f"rescan, {args.items:,}-file vdir, nothing changed",
                f"{unchanged * 1000:.0f} ms, {len(parsed)} parsed",
                f"stat of every file {stat_floor * 1000:.0f} ms",
                "0 parsed",
                not parsed,
            )
        )
        changed = items[len(items) // 2]
        changed.write_text(changed.read_text().replace("SUMMARY:", "SUMMARY:Gym "), newline="")
        parsed.clear()
        one, _ = scan(det, result.cursor)
        rows.append(
            (
                f"rescan, {args.items:,}-file vdir, one file changed",
                f"{one * 1000:.0f} ms, {len(parsed)} parsed",
                f"stat of every file {stat_floor * 1000:.0f} ms",
                "1 parsed",
                len(parsed) == 1,
            )
        )
        notes.append(
            f"vdir: {args.items:,} files in 10 collections, cursor "
            f"{len(json.dumps(result.cursor)) / 1024:.0f} KiB"
        )

    header = ("figure", "measured", "floor / reference", "target", "result")
    table = [header] + [
        (name, got, ref, target, "-" if ok is None else ("PASS" if ok else "FAIL"))
        for name, got, ref, target, ok in rows
    ]
    print(markdown_table(header, table[1:]))
    print()
    for note in notes:
        print(f"- {note}")
    return 0 if all(ok is not False for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
