"""Insights across sources: the daemon's memory before and after one is computed, and the time
to compute one.

    .venv/bin/python benchmarks/bench_insight.py            # about half a minute
    .venv/bin/python benchmarks/bench_insight.py --quick    # fewer samples

memory: two real daemons (``smallwins run``) over the same home, a year of two Insight Timer
exports (sits on half the days; a second practice 35% more on days with a sit). One runs with
``insights = false``; the other looks for an insight after its first pass and tells one. Each
is sampled (VmRSS, VmHWM from /proc) once its first pass is done and it has settled: with
insights on, after it logged the insight. SciPy runs in the worker process only, so both
figures should match; the worker's own peak is shown beside them.

compute: ``ask_worker`` (the worker process, SciPy's import, the tests) on the pairs a
person with 2 goals (1 pair tried, 180 days) and 4 goals (12 pairs, 365 days) would have.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_core import Daemon, memory_kib
from table import markdown_table

from smallwins.coach import insight


def export(days: dict[int, int], end: date, path: Path) -> None:
    """An Insight Timer export: day number before ``end`` -> sessions that day."""
    lines = ["Started At,Duration,Preset,Activity"]
    for n in sorted(days):
        for i in range(days[n]):
            at = datetime.combine(end - timedelta(days=n), datetime.min.time())
            lines.append(
                f"{at.replace(hour=7 + i):%m/%d/%Y %H:%M:%S},0:20:0,,PracticeType.Meditation"
            )
    path.write_text("\n".join(lines) + "\n")


def home_with_history(root: Path, insights: bool, days: int = 365) -> Path:
    rng = random.Random(5)
    sits = {n: 1 for n in range(1, days + 1) if rng.random() < 0.5}
    yoga = {}
    for n in range(1, days + 1):
        mean = 3.0 * (1.35 if n in sits else 1.0)
        yoga[n] = sum(1 for _ in range(40) if rng.random() < mean / 40)
    home = root / f"home-{insights}"
    home.mkdir()
    today = datetime.now(UTC).date()
    export(sits, today, home / "sits.csv")
    export({n: c for n, c in yoga.items() if c}, today, home / "yoga.csv")
    config = f'timezone = "UTC"\ninsights = {str(insights).lower()}\n'
    for name in ("sits", "yoga"):
        config += f'[sources.{name}]\ndetector = "meditation"\npath = "{home / name}.csv"\n'
    (home / "config.toml").write_text(config)
    (home / "config.toml").chmod(0o600)
    return home


def settled_memory(root: Path, insights: bool, samples: int) -> tuple[float, float]:
    """The median VmRSS and the VmHWM (MiB) of a daemon after its first pass (and insight)."""
    home = home_with_history(root, insights)
    with Daemon(home, root) as daemon:
        daemon.wait_log("running:")
        daemon.wait_log("source yoga:", 120)
        daemon.wait_log("source sits:", 120)
        if insights:
            daemon.wait_log("insights: one told", 300)
        time.sleep(2)
        rss = []
        for _ in range(samples):
            rss.append(memory_kib(daemon.pid)[0])
            time.sleep(0.5)
        hwm = memory_kib(daemon.pid)[1]
    return statistics.median(rss) / 1024, hwm / 1024


def question(goals: int, days: int) -> dict[str, Any]:
    rng = random.Random(goals)
    series = [[rng.randint(0, 4) for _ in range(days)] for _ in range(goals)]
    start = date(2026, 1, 1)
    months = [(start + timedelta(days=n)).month for n in range(days)]
    pairs = [
        {
            "a": f"g{a}",
            "b": f"g{b}",
            "with_a": [1 if v else 0 for v in series[a]],
            "b_values": series[b],
            "months": months,
        }
        for a in range(goals)
        for b in range(goals)
        if a != b
    ]
    return {"pairs": pairs}


def compute_seconds(goals: int, days: int, runs: int) -> float:
    request = {
        "seed": 1,
        "resamples": insight.RESAMPLES,
        "stability": insight.STABILITY,
        "questions": [question(goals, days)],
    }
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        if insight.ask_worker(request, timeout=600) is None:
            raise SystemExit("the insight worker failed")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    samples, runs = (3, 1) if args.quick else (10, 3)
    small = compute_seconds(2, 180, runs)
    large = compute_seconds(4, 365, runs)
    # Before any daemon is started: the largest child so far is a worker.
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with tempfile.TemporaryDirectory(prefix="smallwins-insight-") as tmp:
        root = Path(tmp)
        off_rss, off_hwm = settled_memory(root, False, samples)
        on_rss, on_hwm = settled_memory(root, True, samples)
    print(
        markdown_table(
            ["figure", "value"],
            [
                ["daemon VmRSS, insights off (median)", f"{off_rss:.1f} MiB"],
                ["daemon VmRSS, after an insight was computed and told", f"{on_rss:.1f} MiB"],
                ["daemon VmHWM, insights off", f"{off_hwm:.1f} MiB"],
                ["daemon VmHWM, insights on", f"{on_hwm:.1f} MiB"],
                ["the worker's peak RSS", f"{worker_peak:.1f} MiB"],
                ["compute one: 2 goals, 2 pairs, 180 days (median)", f"{small:.2f} s"],
                ["compute one: 4 goals, 12 pairs, 365 days (median)", f"{large:.2f} s"],
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
