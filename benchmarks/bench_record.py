"""Where the SQLite ledger's record() spends a first scan's time, step by step.

    .venv/bin/python benchmarks/bench_record.py                 # 100,000 commits, best of 3
    .venv/bin/python benchmarks/bench_record.py --commits 20000 --zone Europe/Berlin

The wins are those the git detector finds in the history that bench_core.py's first-scan
figure uses (every tenth commit by someone else). Then, each on a fresh ledger file:

- ``record`` itself, without the coach (``moments_for=None``);
- its steps, replayed one by one from its code, to show what each costs;
- a candidate shape of the same work, checked to store identical rows and to return equal
  ``StoredWin``s: one JSON encoder for the batch, tags encoded once per distinct tuple, no
  existence check while the source has no wins, each ``StoredWin`` made from its ``Win``.

Ledger files are deleted after each round: dirty pages of old files being written back would
slow the next fsync.
"""

from __future__ import annotations

import argparse
import gc
import json
import sqlite3
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
from smallwins.ledger.records import StoredWin, _json_default, dumps

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


def json_encoder() -> Callable[[Any], str]:
    """What ``dumps`` returns, with json's C encoder made once for a batch, not per call.

    One per batch: after an exception its circular-reference markers may be left behind."""
    from json.encoder import c_make_encoder, encode_basestring

    if c_make_encoder is None:  # no C accelerator: the encoder object, made once
        return json.JSONEncoder(
            default=_json_default, ensure_ascii=False, separators=(",", ":")
        ).encode
    iterencode = c_make_encoder(
        {}, _json_default, encode_basestring, None, ":", ",", False, False, True
    )
    return lambda value: "".join(iterencode(value, 0))


def candidate(
    db: sqlite3.Connection,
    source: str,
    detector: str,
    wins: list[Win],
    zone: ZoneInfo,
    day_starts_at: dtime,
) -> list[StoredWin]:
    """The same rows and StoredWins as ``insert_wins`` (the SQLite ledger), with json's C
    encoder made once."""
    now = time.time()
    unique: dict[str, Win] = {}
    for win in wins:
        unique.setdefault(win.key, win)
    if db.execute("SELECT 1 FROM wins WHERE source = ? LIMIT 1", (source,)).fetchone():
        keys = list(unique)
        existing: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            existing.update(
                row[0]
                for row in db.execute(
                    f"SELECT key FROM wins WHERE source = ? AND key IN ({marks})", (source, *chunk)
                )
            )
        fresh = [win for key, win in unique.items() if key not in existing]
    else:
        fresh = list(unique.values())  # a source's first wins: nothing to look up
    if not fresh:
        return []
    encode = json_encoder()
    tags_json: dict[tuple[str, ...], str] = {}
    first_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM wins").fetchone()[0] + 1
    rows = []
    new = []
    for number, win in enumerate(fresh, start=first_id):
        moment = win.occurred_at
        day = local_day(moment, zone, day_starts_at)
        tags = tuple(win.tags)
        encoded_tags = tags_json.get(tags)
        if encoded_tags is None:
            encoded_tags = tags_json[tags] = encode(list(tags))
        details = dict(win.details)
        value = float(win.value)
        rows.append(
            (
                source,
                win.key,
                detector,
                win.kind,
                win.title,
                moment.isoformat(),
                moment.timestamp(),
                day.isoformat(),
                value,
                win.unit,
                encoded_tags,
                encode(details),
                now,
            )
        )
        new.append(
            StoredWin(
                number,
                source,
                detector,
                win.key,
                win.kind,
                win.title,
                moment,
                day,
                value,
                win.unit,
                tags,
                details,
            )
        )
    db.executemany(INSERT, rows)
    return new


def measure(bench: Bench) -> None:
    wins, zone, starts = bench.wins, bench.zone, bench.day_starts_at
    kept: dict[str, Any] = {}

    def record() -> None:
        ledger = bench.ledger()
        try:
            kept["record"] = ledger.record(
                SOURCE, DETECTOR, wins, {"v": 1}, zone=zone, day_starts_at=starts
            )
        finally:
            ledger.close()
        kept["record_file"] = ledger.path

    bench.time("record(), no coach: all of it", record)

    unique = {win.key: win for win in wins}
    now = time.time()
    days = [local_day(win.occurred_at, zone, starts) for win in wins]

    def rows_as_record_makes_them() -> list[tuple[Any, ...]]:
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

    rows = rows_as_record_makes_them()

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

    def stored_as_record_makes_them() -> None:
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
        ("the rows, all of the above per win", rows_as_record_makes_them),
        ("executemany + COMMIT (the floor's insert)", insert),
        ("the StoredWin list, as record() makes it", stored_as_record_makes_them),
    ]
    for label, fn in steps:
        bench.time(f"  {label}", fn)
    bench.time("  opening a fresh ledger (migrations, WAL)", lambda: bench.ledger().close(), False)

    def candidate_record() -> None:
        ledger = bench.ledger()
        with ledger.transaction() as db:
            kept["candidate"] = candidate(db, SOURCE, DETECTOR, wins, zone, starts)
            db.execute(
                "INSERT INTO cursors (source, detector, cursor, updated_at) VALUES (?, ?, ?, ?)",
                (SOURCE, DETECTOR, dumps({"v": 1}), time.time()),
            )
        ledger.close()
        kept["candidate_file"] = ledger.path

    bench.time("candidate shape: all of it", candidate_record)
    bench._files.clear()  # keep the last two files for the check
    record()
    candidate_record()
    same_rows = rows_of(kept["record_file"]) == rows_of(kept["candidate_file"])
    same_stored = kept["record"] == kept["candidate"]
    bench.clean()
    bench.lines.append((f"check: same rows {same_rows}, equal StoredWins {same_stored}", "", ""))
    if not (same_rows and same_stored):
        raise SystemExit("the candidate does not do what record() does")


def rows_of(path: Path) -> list[Any]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(
            "SELECT id, source, key, detector, kind, title, occurred_at, ts, day, value, unit,"
            " tags, details FROM wins ORDER BY id"
        ).fetchall()
    finally:
        db.close()


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
