"""Performance of the meditation detector, against floors measured in the same run.

    .venv/bin/python benchmarks/bench_meditation.py                  # both figures
    .venv/bin/python benchmarks/bench_meditation.py --only csv       # or: apple
    .venv/bin/python benchmarks/bench_meditation.py --sessions 10000 --apple-mib 64   # quick

csv: a 100,000-session Insight Timer export scanned (target under 3 s), against csv.reader
reading the same file; then the unchanged rescan, the same scan recorded into a real ledger,
and a re-export with one new session.

apple: a generated 1 GiB Apple Health export.xml streamed by the detector in a child process
(target: peak RSS under 150 MB), against a child that only imports the plugin, a plain read of
the file and expat without handlers. The export is generated once, written as a stream, and
kept as /tmp/smallwins-bench-apple-health-*.xml for later runs (a sidecar .json holds how many
mindful sessions it has).

One table is printed; the exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from table import markdown_table

CACHE = Path(tempfile.gettempdir())
APPLE_CONTENT = 1  # bump when generate_apple_health changes what it writes
CSV_TARGET_S = 3.0
RSS_TARGET_MB = 150.0
FIXTURE_XML = (
    Path(__file__).resolve().parent.parent / "tests/plugins/fixtures/meditation/export.xml"
)
ACTIVITIES = ["PracticeType.Meditation"] * 6 + [
    "PracticeType.Walking",
    "PracticeType.TaiChi",
    "PracticeType.Breathing",
]


@dataclass(slots=True)
class Row:
    figure: str
    measured: str
    reference: str
    ratio: float | None
    target: str
    ok: bool | None  # None: for information, no target of its own


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - began)
    return best, result


def settle(path: Path) -> None:
    # A file changed in the last 2 s may still be being written, and is read once still.
    then = time.time() - 60
    os.utime(path, (then, then))


# -- csv -----------------------------------------------------------------------------------


def insight_timer_rows(count: int, newest: datetime, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        start = newest - timedelta(hours=6 * index, minutes=rng.randrange(60))
        seconds = rng.randrange(60, 3600)
        duration = f"{seconds // 3600}:{seconds % 3600 // 60}:{seconds % 60}"
        rows.append(f"{start:%m/%d/%Y %H:%M:%S},{duration},,{rng.choice(ACTIVITIES)}")
    return rows


def write_insight_timer(path: Path, rows: list[str]) -> None:
    # As the app writes it: CRLF, newest first, no final newline.
    path.write_text("\r\n".join(["Started At,Duration,Preset,Activity", *rows]), newline="")
    settle(path)


def bench_csv(root: Path, sessions: int) -> list[Row]:
    from smallwins_plugins.meditation import MeditationDetector

    from smallwins.testing import Harness, scan_once

    export = root / "InsightTimerLogs.csv"
    newest = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(days=1)
    rows = insight_timer_rows(sessions, newest)
    write_insight_timer(export, rows)
    size = export.stat().st_size

    def floor() -> int:
        with open(export, newline="") as handle:
            return sum(1 for _ in csv.reader(handle))

    def detector_scan() -> Any:
        return scan_once(MeditationDetector, {"path": str(export)}, timezone="Europe/Berlin")

    floor_s, _ = best_of(3, floor)
    scan_s, result = best_of(3, detector_scan)
    if len(result.wins) != sessions or result.problems:
        raise SystemExit(f"csv: {len(result.wins)} wins and {result.problems[:3]}")
    rescan_s, again = best_of(
        5,
        lambda: scan_once(
            MeditationDetector,
            {"path": str(export)},
            cursor=result.cursor,
            timezone="Europe/Berlin",
        ),
    )
    if again.wins:
        raise SystemExit("csv: the unchanged rescan found wins")

    with Harness(root, timezone="Europe/Berlin") as harness:
        harness.add_source("sits", MeditationDetector, {"path": str(export)})
        began = time.perf_counter()
        recorded = harness.scan("sits")
        ledger_s = time.perf_counter() - began
        write_insight_timer(
            export, [f"{datetime.now():%m/%d/%Y %H:%M:%S},0:12:0,,Meditation", *rows]
        )
        began = time.perf_counter()
        added = harness.scan("sits")
        reexport_s = time.perf_counter() - began
    if len(recorded) != sessions or len(added) != 1:
        raise SystemExit(f"csv: recorded {len(recorded)}, re-export added {len(added)}")

    label = f"{sessions:,}-session CSV ({size / 2**20:.1f} MiB)"
    return [
        Row(
            f"scan a {label}",
            f"{scan_s:.2f} s",
            f"csv.reader {floor_s:.2f} s",
            scan_s / floor_s,
            f"< {CSV_TARGET_S:g} s",
            scan_s < CSV_TARGET_S,
        ),
        Row("rescan, file unchanged", f"{rescan_s * 1000:.1f} ms", "", None, "", None),
        Row(f"scan + record into a ledger, {label}", f"{ledger_s:.2f} s", "", None, "", None),
        Row("re-export with 1 new session, recorded", f"{reexport_s:.2f} s", "", None, "", None),
    ]


# -- apple ---------------------------------------------------------------------------------

DEVICE = (
    "&lt;&lt;HKDevice: 0x283f5c0a0&gt;, name:Apple Watch, manufacturer:Apple Inc., "
    "model:Watch, hardware:Watch6,2, software:10.3&gt;"
)
WATCH, PHONE = "Ana\u2019s Apple Watch", "Ana\u2019s iPhone"
MINDFUL_APPS = ["Headspace", "Calm", "Medito", "Oak", "Insight Timer", WATCH]


def dtd() -> str:
    text = FIXTURE_XML.read_text()
    return text[: text.index("<HealthData")]


def generate_apple_health(path: Path, mib: int) -> int:
    """Write a ``mib`` MiB export.xml as a stream; return its number of mindful sessions."""
    rng = random.Random(7)
    target = mib * 2**20
    moment = datetime(2015, 1, 1)
    sessions = written = index = 0
    partial = path.with_suffix(".partial")
    with open(partial, "w", encoding="utf-8") as out:
        out.write(
            dtd()
            + '<HealthData locale="en_DE">\n <ExportDate value="2024-03-31 09:00:00 +0200"/>\n'
        )
        while written < target:
            chunk = []
            for _ in range(2000):
                index += 1
                moment += timedelta(seconds=15)
                start = f"{moment:%Y-%m-%d %H:%M:%S} +0100"
                if index % 1500 == 0:
                    ended = moment + timedelta(minutes=rng.randrange(5, 31))
                    end = f"{ended:%Y-%m-%d %H:%M:%S} +0100"
                    chunk.append(
                        ' <Record type="HKCategoryTypeIdentifierMindfulSession" '
                        f'sourceName="{rng.choice(MINDFUL_APPS)}" sourceVersion="3.1" '
                        f'creationDate="{end}" startDate="{start}" endDate="{end}" '
                        'value="HKCategoryValueNotApplicable"/>\n'
                    )
                    sessions += 1
                elif index % 3 == 0:
                    chunk.append(
                        ' <Record type="HKQuantityTypeIdentifierStepCount" '
                        f'sourceName="{PHONE}" sourceVersion="17.4" unit="count" '
                        f'creationDate="{start}" '
                        f'startDate="{start}" endDate="{start}" value="{rng.randrange(1, 120)}"/>\n'
                    )
                else:
                    chunk.append(
                        ' <Record type="HKQuantityTypeIdentifierHeartRate" '
                        f'sourceName="{WATCH}" sourceVersion="10.3" device="{DEVICE}" '
                        f'unit="count/min" creationDate="{start}" startDate="{start}" '
                        f'endDate="{start}" value="{rng.randrange(50, 160)}">\n'
                        '  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>\n'
                        " </Record>\n"
                    )
            text = "".join(chunk)
            out.write(text)
            written += len(text.encode())
        out.write("</HealthData>\n")
    partial.replace(path)
    return sessions


def cached_apple_health(mib: int) -> tuple[Path, int]:
    path = CACHE / f"smallwins-bench-apple-health-{mib}MiB-v{APPLE_CONTENT}.xml"
    sidecar = path.with_suffix(".json")
    if path.exists() and sidecar.exists():
        return path, int(json.loads(sidecar.read_text())["sessions"])
    print(f"generating {path} (once)...", file=sys.stderr, flush=True)
    sessions = generate_apple_health(path, mib)
    sidecar.write_text(json.dumps({"sessions": sessions, "bytes": path.stat().st_size}))
    return path, sessions


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(kind: str, path: str) -> dict[str, Any]:
    """One measurement in this (fresh) process; the parent reads the JSON it prints. Imports
    come first, so the time is the work's alone and the peak RSS includes them."""
    from xml.parsers import expat

    from smallwins_plugins.meditation import MeditationDetector

    from smallwins.testing import scan_once

    settle(Path(path))
    began = time.perf_counter()
    count = 0
    if kind == "read":
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                count += len(chunk)
    elif kind == "expat":
        parser = expat.ParserCreate(encoding="UTF-8")
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    elif kind == "detector":
        result = scan_once(MeditationDetector, {"path": path}, timezone="Europe/Berlin")
        count = len(result.wins)
        if result.problems:
            raise SystemExit(f"problems: {result.problems[:3]}")
    return {"seconds": time.perf_counter() - began, "rss_mb": peak_rss_mb(), "count": count}


def run_child(kind: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child {kind} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout))


def bench_apple(mib: int) -> list[Row]:
    path, sessions = cached_apple_health(mib)
    size = path.stat().st_size
    bare = run_child("import", path)
    read = run_child("read", path)
    parse = run_child("expat", path)
    scan = run_child("detector", path)
    if scan["count"] != sessions:
        raise SystemExit(f"apple: {scan['count']} wins, expected {sessions}")
    label = f"{size / 2**30:.2f} GiB export.xml, {sessions:,} sessions"
    return [
        Row(
            f"peak RSS streaming a {label}",
            f"{scan['rss_mb']:.0f} MB",
            f"import only {bare['rss_mb']:.0f} MB",
            scan["rss_mb"] / bare["rss_mb"],
            f"< {RSS_TARGET_MB:g} MB",
            scan["rss_mb"] < RSS_TARGET_MB,
        ),
        Row(
            "time to stream it",
            f"{scan['seconds']:.1f} s ({size / 2**20 / scan['seconds']:.0f} MiB/s)",
            f"expat alone {parse['seconds']:.1f} s; read {read['seconds']:.1f} s",
            scan["seconds"] / parse["seconds"],
            "",
            None,
        ),
    ]


# -- report --------------------------------------------------------------------------------


def print_table(rows: list[Row], elapsed: float) -> None:
    header = ["figure", "measured", "floor / reference", "ratio", "target", "ok"]
    lines = [
        [
            row.figure,
            row.measured,
            row.reference,
            f"{row.ratio:.1f}x" if row.ratio is not None else "",
            row.target,
            {True: "yes", False: "NO", None: ""}[row.ok],
        ]
        for row in rows
    ]
    print(markdown_table(header, lines))
    print(f"\ntotal {elapsed:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["csv", "apple"])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--apple-mib", type=int, default=1024)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    began = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="smallwins-bench-meditation-") as folder:
        os.environ["HOME"] = folder  # no ~ of the user's in paths shown
        if args.only in (None, "csv"):
            rows += bench_csv(Path(folder), args.sessions)
        if args.only in (None, "apple"):
            rows += bench_apple(args.apple_mib)
    print_table(rows, time.perf_counter() - began)
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
