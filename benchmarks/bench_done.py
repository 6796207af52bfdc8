"""``smallwins done`` with the daemon stopped: from the command to the recorded win.

    .venv/bin/python benchmarks/bench_done.py              # 20 runs of each
    .venv/bin/python benchmarks/bench_done.py --runs 40
    .venv/bin/python benchmarks/bench_done.py --python /tmp/v/bin/python  # another install

A person runs what the README's first command installs (``pip install .``); a development
checkout's editable install adds a finder that every import of smallwins goes through. To
measure the former: ``python3 -m venv /tmp/v && /tmp/v/bin/pip install .``, then ``--python``.

Each run is a new process, as a person's command is, in a temporary SMALLWINS_HOME whose
config has the always-there journal, a git source over a small repository and a calendar
source, and a goal over the journal; the command exits once the win and its celebration are
committed to the ledger. The floors, measured in the same run: Python starting and doing
nothing, and Python importing smallwins' command line and config (what any command needs).
Last, what ``done`` imports, from ``python -X importtime``: it should not import Apprise,
icalendar, pygit2, watchfiles or the daemon. DESIGN's target: under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_core import git, init_repo, isolate_environment, ms, percentile, write_config
from table import markdown_table

TARGET = 0.300
HEAVY = ("apprise", "icalendar", "pygit2", "watchfiles", "smallwins.daemon")
CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//smallwins bench//EN
BEGIN:VEVENT
UID:gym-1@bench
DTSTAMP:20261101T080000Z
DTSTART:20261101T070000Z
DTEND:20261101T080000Z
SUMMARY:Gym
END:VEVENT
END:VCALENDAR
"""


def timed(command: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Each run's wall time, and its CPU time (user and system): on a busy machine the wall
    time mostly measures the others, the CPU time much less so."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return walls, cpus


def imported(command: list[str]) -> list[str]:
    ran = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]],
        check=True,
        capture_output=True,
        text=True,
    )
    return [
        line.rsplit("|", 1)[1].strip()
        for line in ran.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--python", default=sys.executable, help="the Python of the install to measure"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smallwins-bench-done-") as temp:
        root = Path(temp)
        isolate_environment(root)
        repo = root / "repo"
        init_repo(repo)
        (repo / "a.txt").write_text("a\n")
        git(repo, "add", "a.txt")
        git(repo, "commit", "-q", "-m", "First")
        (root / "life.ics").write_text(CALENDAR)
        home = root / "home"
        write_config(
            home,
            'timezone = "UTC"\n'
            f'[sources.code]\ndetector = "git"\nrepos = ["{repo}"]\n'
            f'[sources.life]\ndetector = "calendar"\npath = "{root / "life.ics"}"\n'
            'events = ["Gym*"]\n'
            '[goals.workouts]\nsources = ["journal", "life"]\ntags = ["workout"]\n'
            'per = "week"\ntarget = 3\n',
        )
        os.environ["SMALLWINS_HOME"] = str(home)
        python = args.python
        done = [python, "-m", "smallwins", "done", "Bench win", "--tag", "workout"]
        first = subprocess.run(done, capture_output=True, text=True)  # the journal's first scan
        if first.returncode != 0:
            print(first.stderr, file=sys.stderr)
            return 1
        runs = args.runs
        figures = {
            "smallwins done, to the recorded win": timed(done, runs),
            "floor: python -c pass": timed([python, "-c", "pass"], runs),
            "floor: import smallwins.cli, smallwins.config": timed(
                [python, "-c", "import smallwins.cli, smallwins.config"], runs
            ),
        }
        modules = imported(done)
    lines = []
    for name, (walls, cpus) in figures.items():
        first = name.startswith("smallwins done")
        p50 = statistics.median(walls)
        lines.append(
            [
                name,
                ms(min(walls)),
                ms(p50),
                ms(percentile(walls, 0.95)),
                ms(statistics.median(cpus)),
                "< 300 ms" if first else "",
                ("yes" if p50 < TARGET else "no") if first else "",
            ]
        )
    header = ["figure", "min", "p50", "p95", "CPU p50", "target", "met"]
    print(markdown_table(header, lines))
    heavy = sorted({m for m in modules if m.startswith(HEAVY)})
    print(f"\n`done` imports {len(set(modules))} modules; of {', '.join(HEAVY)}: {heavy or 'none'}")
    return 0 if statistics.median(figures["smallwins done, to the recorded win"][0]) < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
