"""Files built to wear out or exhaust the parsers: how long each scan takes, and its peak memory.

    .venv/bin/python benchmarks/bench_hostile.py

Each file is written as a stream into a temporary folder, then scanned by its detector in a
child process of its own, whose wall time and peak resident size (the child's own
``resource.getrusage(RUSAGE_SELF).ru_maxrss``; the parent stays small, so what a child keeps
of it across ``exec`` is small too) are shown with the problem it reported. The figures are
recorded in docs/reliability.md.

- nested .ics: 100,000 ``BEGIN:VEVENT`` lines, none closed (1.4 MB)
- 50 MB .ics of events: about 400,000 short events, ``max_file_mib = 64``
- 50 MB .ics line: one DESCRIPTION of 50 MiB, ``max_file_mib = 64``
- Apple Health bomb: a 1 MB export.zip holding one attribute of 1 GiB
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from table import markdown_table

CHILD = """
import importlib, json, resource, sys, time
from smallwins.testing import scan_once
module, name, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
detector = getattr(importlib.import_module(module), name)
started = time.perf_counter()
result = scan_once(detector, options)
print(json.dumps({
    "problems": [p.message for p in result.problems],
    "seconds": time.perf_counter() - started,
    "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
"""
CALENDAR = ("smallwins_plugins.calendar", "CalendarDetector")
MEDITATION = ("smallwins_plugins.meditation.detector", "MeditationDetector")
HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
MIB = 1 << 20


def nested(path: Path) -> None:
    path.write_text(HEAD + "BEGIN:VEVENT\r\n" * 100_000, newline="")


def many_events(path: Path) -> None:
    with path.open("w", newline="") as out:
        out.write(HEAD)
        n = 0
        while out.tell() < 50 * MIB:
            out.write(
                f"BEGIN:VEVENT\r\nUID:{n}\r\nDTSTART:20250101T100000Z\r\n"
                f"DTEND:20250101T110000Z\r\nSUMMARY:Gym {n}\r\nEND:VEVENT\r\n"
            )
            n += 1
        out.write("END:VCALENDAR\r\n")


def one_line(path: Path) -> None:
    with path.open("w", newline="") as out:
        out.write(HEAD + "BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20250101T100000Z\r\nDESCRIPTION:")
        for _ in range(50):
            out.write("A" * MIB)
        out.write("\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def health_bomb(path: Path) -> None:
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("apple_health_export/export.xml", "w", force_zip64=True) as member,
    ):
        member.write(
            b'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
            b'<Record type="HKCategoryTypeIdentifierMindfulSession" sourceName="'
        )
        block = b"A" * MIB
        for _ in range(1024):
            member.write(block)
        member.write(b'" startDate="2025-01-01 10:00:00 +0000"/>\n</HealthData>\n')
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))  # settled: not a file still being written


CASES: list[tuple[str, str, Callable[[Path], None], tuple[str, str], dict[str, object]]] = [
    ("nested .ics, 100,000 lines", "nested.ics", nested, CALENDAR, {}),
    ("50 MB .ics of events", "events.ics", many_events, CALENDAR, {"max_file_mib": 64}),
    ("50 MB .ics, one line", "line.ics", one_line, CALENDAR, {"max_file_mib": 64}),
    ("Apple Health zip, 1 GiB attribute", "export.zip", health_bomb, MEDITATION, {}),
]


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for label, name, write, (module, cls), extra in CASES:
            path = Path(folder) / name
            write(path)
            options: dict[str, object] = {"path": str(path), **extra}
            if cls == "CalendarDetector":
                options["events"] = ["Gym*"]
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", CHILD, module, cls, json.dumps(options)],
                capture_output=True,
                text=True,
                timeout=600,
                check=True,
            )
            seconds = time.perf_counter() - started
            found = json.loads(done.stdout)
            rows.append(
                [
                    label,
                    f"{path.stat().st_size / MIB:.1f} MiB",
                    f"{found['seconds']:.2f} s",
                    f"{seconds:.2f} s",
                    f"{found['peak_kib'] / 1024:.0f} MiB",
                    found["problems"][0] if found["problems"] else "(none)",
                ]
            )
            path.unlink()
    print(markdown_table(["file", "size", "scan", "process", "peak RSS", "problem"], rows))


if __name__ == "__main__":
    main()
