"""An experiment's end: the daemon's memory once it has been told, and the time to work it out.

    .venv/bin/python benchmarks/bench_experiment.py
    .venv/bin/python benchmarks/bench_experiment.py --days 365 --samples 5

A journal of ``--days`` days of wins (a few a day, fewer at weekends) is scanned once. Then
``smallwins run`` starts twice on that ledger: first with nothing to tell, then with an
experiment whose window has ended (declared with ``experiment start --from``), which its first
tick works out and tells, then again on that ledger, the end told, with nothing to work out
(the noise between two starts); each time, once it has settled, its VmRSS is sampled and the median
kept. The interval comes from Python's ``random`` and ``statistics`` (no numpy or scipy), so
the two should match: no library stays resident after an experiment has been computed.

In this process, with the daemon's modules imported first: the modules that computing an end
brings in beyond them (none expected), and the time to compute one (its goal's tracker built
from the ledger, the bootstrap's 2,000 resamples of both windows), best of five, for windows
of 14, 30 and 90 days.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_core import (
    SMALLWINS_CMD,
    BenchError,
    Daemon,
    Receiver,
    isolate_environment,
    memory_kib,
    mib,
    write_config,
)
from table import markdown_table

SETTLE = 3.0  # seconds after the first tick before sampling: the first pass's garbage is gone


def write_journal(home: Path, days: int, today: datetime) -> None:
    rng = random.Random(1)
    lines = []
    for back in range(days, 0, -1):
        day = (today - timedelta(days=back)).date()
        weekend = day.weekday() >= 5
        for n in range(rng.randint(0, 2 if weekend else 6)):
            lines.append(f"- {day}T{9 + n:02d}:{n:02d}Z note {n} ^d{back:04d}n{n}")
    journal = home / "data" / "journal.md"
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text("\n".join(lines) + "\n")


def cli(home: Path, *args: str) -> str:
    done = subprocess.run(
        [*SMALLWINS_CMD, *args],
        env={**os.environ, "SMALLWINS_HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"smallwins {' '.join(args)}: {done.stderr}")
    return done.stdout


def settled_rss(home: Path, receiver: Receiver, samples: int, told: str | None) -> int:
    """The daemon's median VmRSS (KiB) once started and settled; ``told``: wait for a
    message whose title holds it first."""
    with Daemon(home, home) as daemon:
        daemon.wait_log("running:")
        if told is not None:
            got = receiver.wait_for(lambda m: told in str(m.get("title", "")), 60)
            if got is None:
                raise BenchError(f"{told!r} was not told:\n{''.join(daemon.lines)}")
        time.sleep(SETTLE)
        found = []
        for _ in range(samples):
            found.append(memory_kib(daemon.pid)[0])
            time.sleep(1.0)
        return int(statistics.median(found))


def compute_times(home: Path) -> tuple[list[str], list[tuple[int, float]]]:
    """New modules an end brings in, and the best of five times for each window."""
    os.environ["SMALLWINS_HOME"] = str(home)
    import apprise  # noqa: F401  (the daemon holds it)

    import smallwins.daemon.daemon  # noqa: F401
    from smallwins.cli.context import Context
    from smallwins.coach.experiment import outcome
    from smallwins.coach.trackers import tracker_from
    from smallwins.ledger import Experiment

    context = Context(home)
    coach = context.coach()
    goal = next(g for g in coach.goals if g.name == "journal")
    today = coach.schedule.today(datetime.now(UTC))
    times = []
    with context.open_ledger(readonly=True) as ledger:
        ledger.read(lambda view: tracker_from(view, goal))
        before = set(sys.modules)
        for days in (14, 30, 90):
            start = today - timedelta(days=days)
            experiment = Experiment(days, f"bench {days}", "journal", start, days)
            walls = []
            for _ in range(5):
                began = time.perf_counter()
                tracker = ledger.read(lambda view: tracker_from(view, goal))
                outcome(experiment, goal, tracker, today)
                walls.append(time.perf_counter() - began)
            times.append((days, min(walls)))
    return sorted(set(sys.modules) - before), times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=365, help="days of history")
    parser.add_argument("--samples", type=int, default=5, help="RSS samples per daemon")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="smallwins-bench-experiment-") as folder:
        root = Path(folder)
        isolate_environment(root)
        home = root / "home"
        now = datetime.now(UTC)
        write_journal(home, args.days, now)
        with Receiver() as receiver:
            write_config(
                home,
                f'timezone = "UTC"\ndigest = "off"\n[notify]\nurls = ["{receiver.url}"]\n'
                'coalesce_seconds = 0\nquiet_hours = ""\n',
            )
            cli(home, "run", "--once")
            idle = settled_rss(home, receiver, args.samples, None)
            began = (now - timedelta(hours=4) - timedelta(days=20)).date()
            cli(home, "experiment", "start", "sit before coffee", "--goal", "journal",
                "--from", str(began), "--days", "14")  # fmt: skip
            after = settled_rss(home, receiver, args.samples, "has ended")
            # The same ledger, its end already told: the daemon works nothing out.
            again = settled_rss(home, receiver, args.samples, None)
            told = json.loads(cli(home, "experiment", "list", "--json"))[0]["sentence"]
        modules, times = compute_times(home)
    rows = [
        ["daemon RSS, nothing to tell", mib(idle)],
        ["daemon RSS, an experiment's end told", mib(after)],
        ["daemon RSS, restarted after it was told", mib(again)],
        ["told against nothing to tell", f"{(after - idle) / 1024:+.1f} MiB"],
        ["modules an end loads beyond the daemon's", ", ".join(modules) or "none"],
    ]
    rows += [[f"one end worked out, {d}-day window", f"{wall * 1000:.0f} ms"] for d, wall in times]
    print(markdown_table(("figure", "measured"), rows))
    print(f"\nTold: {told}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
