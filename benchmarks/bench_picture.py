"""The weekly digest's picture: time to draw it, and the daemon's memory before and after it
sent a digest with one.

    .venv/bin/python benchmarks/bench_picture.py                # best of 10 draws
    .venv/bin/python benchmarks/bench_picture.py --runs 3

Drawing: ``smallwins.picture.make`` end to end (a child process that imports Pillow,
draws and writes the PNG), for one goal and for four (the most a picture shows); the floor is
a child process that only imports Pillow. Target (the weekly picture in docs/coaching.md):
under 1 s.

Memory: a real daemon (``smallwins run``, a json:// target on 127.0.0.1) whose ledger holds two
weekly digests, due some seconds after the start: one in words, then two with their picture's
numbers. Its idle RSS is read before any send and after each digest; the
daemon must not hold Pillow (no PIL library in /proc/PID/maps). Target: the picture adds
nothing to the idle RSS but noise, within 1 MiB.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_core import PYTHON, Daemon, Receiver, isolate_environment, memory_kib, mib, write_config
from table import markdown_table

from smallwins import picture
from smallwins.api.moment import Moment
from smallwins.ledger import open_ledger, sqlite_url

DUE_AFTER = 12.0  # seconds after the start: the daemon is idle before the digest is due
SETTLE = 4.0


def goal(name: str, values: list[float], **kw: Any) -> dict[str, Any]:
    numbers = {
        "name": name,
        "unit": "min",
        "per": "day",
        "limit": False,
        "values": values,
        "rest": [False] * 7,
        "target": 10,
        "strength": 0.9,
        "week": sum(values),
        "usual": 70,
    }
    return {**numbers, **kw}


WEEK = {
    "week": "2026-11-23",
    "goals": [
        goal("sitting", [12, 0, 10, 15, 8, 20, 11]),
        goal("code", [3, 5, 1, 0, 2, 7, 4], unit="commits", target=1, usual=25),
        goal("reading", [30, 25, 0, 40, 35, 10, 60], unit="pages", target=20, usual=180),
        goal("coffee", [2, 3, 1, 2, 2, 1, 4], unit="cups", target=2, limit=True, usual=16),
    ],
}


def timed(runs: int, fn: Any) -> tuple[float, float]:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - started)
    return min(walls), statistics.median(walls)


def drawing(runs: int) -> list[list[str]]:
    floor = "import PIL.Image, PIL.ImageDraw, PIL.ImageFont"
    rows = []
    best, median = timed(runs, lambda: subprocess.run([PYTHON, "-I", "-c", floor], check=True))
    rows.append(["child process importing Pillow (floor)", f"{best:.3f} s", f"{median:.3f} s", ""])
    for goals in (1, 4):
        numbers = {**WEEK, "goals": WEEK["goals"][:goals]}
        if picture.make(numbers) is None:
            raise SystemExit("the picture could not be drawn")
        best, median = timed(runs, lambda numbers=numbers: picture.make(numbers))
        size = len(picture.make(numbers) or b"")
        met = "yes" if median < 1 else "NO"
        label = f"picture.make, {goals} goal{'s' if goals > 1 else ''} ({size / 1000:.0f} kB)"
        rows.append([label, f"{best:.3f} s", f"{median:.3f} s", f"< 1 s: {met}"])
    return rows


def holds_pillow(pid: int) -> bool:
    return "/PIL/" in Path(f"/proc/{pid}/maps").read_text()


def digest(key: str, due: datetime, numbers: dict[str, Any] | None) -> Moment:
    payload: dict[str, Any] = {"count": 24}
    if numbers is not None:
        payload["picture"] = numbers
    return Moment(
        "weekly_digest",
        f"weekly_digest:{key}",
        "Your week: 24 wins",
        "7 sessions in Sits, 17 commits in Code. What moved the week forward?",
        due,
        due,
        category="digest",
        payload=payload,
    )


def memory(root: Path) -> list[list[str]]:
    """Idle RSS at three points: before any send, after a digest in words (what the first send
    through Apprise costs), after a digest with its picture (what the picture costs)."""
    home = root / "home"
    with Receiver() as receiver:
        write_config(home, f'[notify]\nurls = ["{receiver.url}"]\nquiet_hours = ""\n')
        (home / "data").mkdir(mode=0o700)
        ledger = open_ledger(sqlite_url(home / "data" / "ledger.sqlite3"))
        now = datetime.now(UTC)
        ledger.add_moment(digest("words", now + timedelta(seconds=DUE_AFTER), None), ["target-1"])
        later = now + timedelta(seconds=2 * DUE_AFTER)
        ledger.add_moment(digest("picture", later, WEEK), ["target-1"])
        latest = now + timedelta(seconds=3 * DUE_AFTER)
        ledger.add_moment(digest("again", latest, WEEK), ["target-1"])
        ledger.close()
        with Daemon(home, root) as daemon:
            daemon.wait_log("running:")
            time.sleep(SETTLE)
            before, _ = memory_kib(daemon.pid)
            if receiver.wait_for(lambda m: not m.get("attachments"), DUE_AFTER + 20) is None:
                raise SystemExit("the digest in words did not arrive:\n" + "".join(daemon.lines))
            time.sleep(SETTLE)
            words, _ = memory_kib(daemon.pid)
            got = receiver.wait_for(lambda m: bool(m.get("attachments")), DUE_AFTER + 20)
            if got is None:
                raise SystemExit("the digest's picture did not arrive:\n" + "".join(daemon.lines))
            png = base64.b64decode(got[1]["attachments"][0]["base64"])
            time.sleep(SETTLE)
            after, _ = memory_kib(daemon.pid)
            if receiver.wait_for(lambda m: bool(m.get("attachments")), DUE_AFTER + 20) is None:
                raise SystemExit("the second picture did not arrive:\n" + "".join(daemon.lines))
            time.sleep(SETTLE)
            again, peak = memory_kib(daemon.pid)
            pillow = holds_pillow(daemon.pid)
    first, grew, more = (words - before) / 1024, (after - words) / 1024, (again - after) / 1024
    return [
        ["daemon RSS, idle, before any send", mib(before), "", ""],
        ["daemon RSS, idle, after a weekly digest in words", mib(words), f"{first:+.2f} MiB", ""],
        [
            f"daemon RSS, idle, after one with its picture ({len(png) / 1000:.0f} kB PNG)",
            mib(after),
            f"{grew:+.2f} MiB",
            f"within 1 MiB: {'yes' if abs(grew) <= 1 else 'NO'}",
        ],
        [
            "daemon RSS, idle, after a second one with its picture",
            mib(again),
            f"{more:+.2f} MiB",
            f"within 1 MiB: {'yes' if abs(more) <= 1 else 'NO'}",
        ],
        ["daemon peak RSS (VmHWM)", mib(peak), "", ""],
        [
            "Pillow mapped in the daemon",
            "yes" if pillow else "no",
            "",
            "no" if not pillow else "NO",
        ],
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="draws timed per figure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="smallwins-bench-picture-") as folder:
        root = Path(folder)
        isolate_environment(root)
        print(markdown_table(("drawing", "best", "median", "target"), drawing(args.runs)))
        print()
        rows = memory(root)
        print(markdown_table(("memory", "measured", "change", "target"), rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
