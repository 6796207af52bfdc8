"""Where the SQLite ledger's record() spends a first scan's time, step by step.

    .venv/bin/python benchmarks/bench_record.py                 # 100,000 commits, best of 3
    .venv/bin/python benchmarks/bench_record.py --commits 20000 --zone Europe/Berlin

The wins are those the git detector finds in the history that bench_core.py's first-scan
figure uses (every tenth commit by someone else). Then, each on a fresh ledger file:

- ``record`` itself, without the coach (``moments_for=None``), given the wins as a list;
- a ``SqliteBatch`` filled win by win (what the daemon does on the scan's thread while git
  still writes), and ``record`` of the filled batch: what is left after the scan;
- its steps as the ledger once did them one by one (a new JSON encoder per value, a key
  look-up per chunk, each ``StoredWin`` parsed back), to show what each cost: the analysis
  that gave ``SqliteBatch`` its one-pass shape (docs/performance.md).

Ledger files are deleted after each round: dirty pages of old files being written back would
slow the next fsync.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench_core import ME, fast_import_stream, git, init_repo, isolate_environment
from table import markdown_table

# The ledger's parts this replays: imported here only.
from smallwins.api.win import Win, local_day
from smallwins.ledger.backends.sqlite import SqliteLedger
from smallwins.ledger.backends.sqlite.batch import SqliteBatch
from smallwins.ledger.records import StoredWin, dumps

INSERT = (
    "INSERT INTO wins (source, key, detector, kind, title, occurred_at, ts, day, value, unit,"
    " tags, details, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SOURCE, DETECTOR = "code", "git"


class Bench:
    def __init__(self, root: Path, wins: list[Win], zone: ZoneInfo, rounds: int) -> None:
        self.root = root
        self.wins = wins
        self.zone = zone
        self.day_starts_at = dtime(4)
        self.rounds = rounds
        self.lines: list[tuple[str, str, str]] = []
        self._files: list[Path] = []
        self._count = 0

    def ledger(self) -> SqliteLedger:
        self._count += 1
        path = self.root / f"ledger-{self._count}.sqlite3"
        self._files.append(path)
        return SqliteLedger(path)

    def clean(self) -> None:
        while self._files:
            path = self._files.pop()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    def time(self, label: str, fn: Callable[[], Any], per_win: bool = True) -> float:
        best = float("inf")
        for _ in range(self.rounds):
            self.clean()
            gc.collect()
            started = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - started)
        each = f"{best / len(self.wins) * 1e6:.2f}" if per_win else ""
        self.lines.append((label, f"{best * 1000:.0f}", each))
        print(f"{label}: {best * 1000:.0f} ms", file=sys.stderr, flush=True)
        return best


def measure(bench: Bench) -> None:
    wins, zone, starts = bench.wins, bench.zone, bench.day_starts_at

    def record() -> None:
        ledger = bench.ledger()
        try:
            ledger.record(SOURCE, DETECTOR, wins, {"v": 1}, zone=zone, day_starts_at=starts)
        finally:
            ledger.close()

    bench.time("record(), no coach: all of it", record)

    def fill() -> Any:
        batch = SqliteBatch(SOURCE, DETECTOR, zone=zone, day_starts_at=starts)
        for win in wins:
            batch.add(win)
        return batch

    def record_filled() -> None:
        batch = fill()
        ledger = bench.ledger()
        try:
            started = time.perf_counter()
            ledger.record(SOURCE, DETECTOR, batch, {"v": 1}, zone=zone, day_starts_at=starts)
            recorded.append(time.perf_counter() - started)
        finally:
            ledger.close()

    recorded: list[float] = []
    bench.time("  batch.add of each win (on the scan's thread, while git writes)", fill)
    bench.time("  batch.add, then record() of the filled batch", record_filled)
    bench.lines.append(
        (
            "  record() of the filled batch alone",
            f"{min(recorded) * 1000:.0f}",
            f"{min(recorded) / len(wins) * 1e6:.2f}",
        )
    )

    unique = {win.key: win for win in wins}
    now = time.time()
    days = [local_day(win.occurred_at, zone, starts) for win in wins]

    def rows_one_by_one() -> list[tuple[Any, ...]]:
        return [
            (
                SOURCE,
                key,
                DETECTOR,
                win.kind,
                win.title,
                win.occurred_at.isoformat(),
                win.occurred_at.timestamp(),
                local_day(win.occurred_at, zone, starts).isoformat(),
                float(win.value),
                win.unit,
                dumps(list(win.tags)),
                dumps(dict(win.details)),
                now,
            )
            for key, win in unique.items()
        ]

    rows = rows_one_by_one()

    def existence_check() -> None:
        ledger = bench.ledger()
        keys = list(unique)
        with ledger.transaction() as db:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                db.execute(
                    f"SELECT key FROM wins WHERE source = ? AND key IN ({marks})",
                    (SOURCE, *chunk),
                ).fetchall()
        ledger.close()

    def insert() -> None:
        ledger = bench.ledger()
        with ledger.transaction() as db:
            db.executemany(INSERT, rows)
        ledger.close()

    def stored_parsed_back() -> None:
        [
            StoredWin(
                id=1 + offset,
                source=row[0],
                detector=DETECTOR,
                key=row[1],
                kind=row[3],
                title=row[4],
                occurred_at=unique[row[1]].occurred_at,
                day=date.fromisoformat(row[7]),
                value=row[8],
                unit=row[9],
                tags=tuple(unique[row[1]].tags),
                details=dict(unique[row[1]].details),
            )
            for offset, row in enumerate(rows)
        ]

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("dedupe by key", lambda: {w.key: w for w in wins}),
        ("existence check, SELECT ... IN (500 keys) chunks, empty table", existence_check),
        ("local_day", lambda: [local_day(w.occurred_at, zone, starts) for w in wins]),
        (
            "occurred_at.isoformat() + .timestamp()",
            lambda: [(w.occurred_at.isoformat(), w.occurred_at.timestamp()) for w in wins],
        ),
        ("day.isoformat()", lambda: [d.isoformat() for d in days]),
        ("dumps(list(tags))", lambda: [dumps(list(w.tags)) for w in wins]),
        ("dumps(dict(details))", lambda: [dumps(dict(w.details)) for w in wins]),
        ("the rows, all of the above per win", rows_one_by_one),
        ("executemany + COMMIT (the floor's insert)", insert),
        ("the StoredWin list, parsed back as record() once did", stored_parsed_back),
    ]
    for label, fn in steps:
        bench.time(f"  {label}", fn)
    bench.time("  opening a fresh ledger (migrations, WAL)", lambda: bench.ledger().close(), False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--zone", default="UTC", help="the user's time zone (default UTC)")
    args = parser.parse_args(argv)
    from smallwins_plugins.git import GitDetector

    from smallwins.testing import scan_once

    with tempfile.TemporaryDirectory(prefix="smallwins-bench-record-") as tmp:
        root = Path(tmp)
        isolate_environment(root)
        repo = root / "history"
        init_repo(repo)
        git(repo, "fast-import", "--quiet", stdin=fast_import_stream(args.commits))
        wins = scan_once(GitDetector, {"repos": [str(repo)], "authors": [ME]}).wins
        bench = Bench(root, wins, ZoneInfo(args.zone), args.rounds)
        measure(bench)
    print(f"\n{len(wins):,} wins, zone {args.zone}, best of {args.rounds}\n")
    print(markdown_table(("step", "ms", "us a win"), bench.lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
