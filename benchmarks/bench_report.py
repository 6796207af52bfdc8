"""``smallwins report`` on a 1,000,000-win ledger: the command end to end, and the page's size.

    .venv/bin/python benchmarks/bench_report.py                 # 1,000,000 wins, best of 3
    .venv/bin/python benchmarks/bench_report.py --wins 100000 --runs 1

The ledger is bench_core.py's (``cached_ledger``: five sources over ten years, built once per
schema under the temporary folder); each source has a goal of a win a day. The target
(DESIGN section 10): written in under 3 s, under 5 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench_core import LEDGER_SOURCES, SMALLWINS_CMD, cached_ledger, run, write_config
from table import markdown_table


def measure(wins: int, runs: int) -> list[list[str]]:
    ledger = cached_ledger(wins)
    with tempfile.TemporaryDirectory(prefix="smallwins-bench-report-") as folder:
        home = Path(folder) / "home"
        config = (
            f'ledger = {json.dumps(str(ledger))}\n[notify]\nurls = ["json://127.0.0.1:9/hook"]\n'
        )
        for source, _detector, _kind, _share in LEDGER_SOURCES:
            # A goal may count a source no longer configured: no repos or files needed.
            config += f'\n[goals.{source}]\nsources = ["{source}"]\n'
        write_config(home, config)
        env = {**os.environ, "SMALLWINS_HOME": str(home)}
        out = Path(folder) / "report.html"
        walls = []
        for _ in range(runs):
            started = time.perf_counter()
            run([*SMALLWINS_CMD, "report", "--out", str(out)], env=env)
            walls.append(time.perf_counter() - started)
        wall, size = min(walls), out.stat().st_size
    return [
        [f"smallwins report, {wins:,} wins", f"{wall:.2f} s", "< 3 s", "yes" if wall < 3 else "NO"],
        ["its page", f"{size / 1e6:.2f} MB", "< 5 MB", "yes" if size < 5e6 else "NO"],
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wins", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="best of this many")
    args = parser.parse_args(argv)
    rows = measure(args.wins, args.runs)
    print(markdown_table(("figure", "measured", "target", "met"), rows))
    return 0 if all(row[3] == "yes" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
