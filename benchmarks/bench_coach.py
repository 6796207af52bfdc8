"""The coach's performance figures (DESIGN.md section 10, issue 5), measured in one run.

    .venv/bin/python benchmarks/bench_coach.py            # both figures, about a minute
    .venv/bin/python benchmarks/bench_coach.py --quick    # 200,000 wins, 20 new ones
    .venv/bin/python benchmarks/bench_coach.py --only live   # or replay
    .venv/bin/python benchmarks/bench_coach.py --profile     # and where the time goes

live: rule evaluation after one new win with 1,000,000 wins in the ledger. The ledger is ten
years of four sources as a daemon would have left it: every win with its celebration moment
and a sent outbox row, plus the digests, milestones and notes of those years. It is built
once and cached under /tmp (its name holds a hash of the schema and of what is written); each
run works on a copy. The coach is built with the built-in rules and loaded as the daemon does,
then each new win is recorded through ``record(..., moments_for=coach.on_scan)``, one
transaction with its fsync, as the daemon records a live win. The floor is the same record
with no coach at all.

replay: ``smallwins replay`` of ten years of daily history (one sit a day, a minutes goal
with a ramp, quiet hours, digest "both"), in-process and as the real command.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import math
import os
import pstats
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from table import markdown_table

from smallwins.api.win import Win, local_day
from smallwins.coach.celebration import ScanInfo
from smallwins.coach.coach import Coach, build_coach
from smallwins.coach.replay import replay
from smallwins.coach.stats import gather
from smallwins.config import Settings
from smallwins.ledger import LedgerView
from smallwins.ledger.backends.sqlite import SqliteLedger
from smallwins.ledger.backends.sqlite.schema import MIGRATIONS
from smallwins.plugins.loader import load_plugins

FIGURES = ("live", "replay")
CACHE = Path(tempfile.gettempdir())
CONTENT = 1  # bump when build_lived_ledger changes what it writes
LIVE_TARGET = 0.050
REPLAY_TARGET = 10.0
ZONE = ZoneInfo("Europe/Berlin")
DAY_STARTS = dtime(4, 0)
HISTORY_END = datetime(2026, 1, 5, 4, 0, tzinfo=ZONE)  # fixed, so the cache stays valid
# source, detector, kind, share of the wins, value of one win
SOURCES: tuple[tuple[str, str, str, float, Callable[[random.Random], float]], ...] = (
    ("code", "git", "commit", 0.60, lambda rng: 1.0),
    ("sits", "meditation", "meditation", 0.15, lambda rng: float(rng.randint(5, 40))),
    ("life", "calendar", "event", 0.15, lambda rng: 1.0),
    ("reading", "reading", "reading", 0.10, lambda rng: float(rng.randint(5, 60))),
)
GOALS: dict[str, dict[str, Any]] = {
    "code": {"sources": ["code"]},
    "sitting": {"sources": ["sits"], "metric": "minutes", "target": 10, "ramp": "5%"},
    "life": {"sources": ["life"], "per": "week", "target": 3},
    "reading": {"sources": ["reading"], "metric": "value", "target": 20, "max_target": 40},
}
# What else a daemon tells over ten years besides celebrations and digests, per day.
RULE_MOMENTS = (
    ("streak", "celebration", 0.01),
    ("total", "celebration", 0.15),
    ("personal_best", "celebration", 0.02),
    ("comeback", "celebration", 0.01),
    ("marginal_gain", "celebration", 0.05),
    ("level_up", "celebration", 0.01),
    ("never_miss_twice", "setback", 0.01),
    ("setback", "setback", 0.005),
)


@dataclass(slots=True)
class Row:
    figure: str
    measured: str
    reference: str
    target: str
    ok: bool | None  # None: shown for information, no target of its own


@dataclass(slots=True)
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def profiled(fn: Callable[[], Any], enabled: bool, report: Report, title: str) -> Any:
    """Run ``fn``; with ``enabled``, under cProfile, keeping the top of its cumulative table."""
    if not enabled:
        return fn()
    profile = cProfile.Profile()
    result = profile.runcall(fn)
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(18)
    report.notes.append(f"profile of {title}:\n{out.getvalue()}")
    return result


class TimedConnection:
    """A connection that adds up the time of each SQL statement, for --profile: cProfile
    shows only that ``execute`` dominates, this shows which statement.

    The time of ``execute`` is the statement's first step, which for an aggregate or a
    search for the first matching row is all of its work."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.times: dict[str, list[float]] = {}

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        began = time.perf_counter()
        try:
            return self._db.execute(sql, params)
        finally:
            self.times.setdefault(" ".join(sql.split()), []).append(time.perf_counter() - began)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def table(self, top: int = 10) -> str:
        rows = sorted(self.times.items(), key=lambda item: -sum(item[1]))[:top]
        return "\n".join(
            f"  {sum(t) * 1000:8.0f} ms total, {len(t):4} calls, max {max(t) * 1000:6.1f} ms: "
            f"{sql[:150]}"
            for sql, t in rows
        )


def isolate_environment(root: Path) -> None:
    """The developer's own SMALLWINS_* variables must not change what is measured."""
    for name in list(os.environ):
        if name.startswith("SMALLWINS_"):
            del os.environ[name]
    os.environ["SMALLWINS_HOME"] = str(root / "home")
    os.environ["SMALLWINS_LOAD_PLUGINS"] = "coaching"


def settings(**extra: Any) -> Settings:
    return Settings(timezone=str(ZONE), day_starts_at=DAY_STARTS, **extra)


def coach_for(config: Settings) -> Coach:
    """The coach as the daemon builds it, with the built-in rules and their wordings."""
    plugins = load_plugins(load_env="coaching", trace=False)
    assert plugins.rules and not plugins.failures, plugins.failures
    return build_coach(config, [], plugins.rules, plugins.templates)


# -- (a) one live win with 1,000,000 in the ledger -------------------------------------------


def lived_ledger_path(rows: int) -> Path:
    schema = hashlib.sha1("".join(MIGRATIONS).encode()).hexdigest()[:10]
    return CACHE / f"smallwins-bench-coach-{rows}-{schema}-{CONTENT}.sqlite3"


def build_lived_ledger(path: Path, rows: int) -> None:
    """``rows`` wins over ten years, with what a daemon would have told about them."""
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    SqliteLedger(partial).close()  # the real schema, through the real migrations
    rng = random.Random(7)
    end = HISTORY_END.timestamp()
    span = 10 * 365 * 86400
    start = end - span
    db = sqlite3.connect(partial, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -400000")
    db.execute("BEGIN")
    moment_id = 0
    moments: list[tuple[Any, ...]] = []
    outbox: list[tuple[Any, ...]] = []
    wins: list[tuple[Any, ...]] = []
    weights = [share for *_, share, _value in SOURCES]

    def moment(key: str, kind: str, category: str, at: float, **extra: Any) -> None:
        nonlocal moment_id
        moment_id += 1
        moments.append(
            (
                moment_id,
                key,
                kind,
                category,
                extra.get("source"),
                extra.get("goal"),
                extra.get("grp"),
                f"{kind} {moment_id}",
                f"The words of {kind} {moment_id}.",
                "{}",
                at,
                at + 0.4,
            )
        )
        outbox.append((moment_id, "target-1", "sent", 1, at + 1))

    def flush() -> None:
        db.executemany(
            "INSERT INTO wins (source, key, detector, kind, title, occurred_at, ts, day, value,"
            " unit, tags, details, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            wins,
        )
        db.executemany(
            "INSERT INTO moments (id, dedupe_key, kind, category, source, goal, grp, title,"
            " message, payload, created_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            moments,
        )
        db.executemany(
            "INSERT INTO outbox (moment_id, target, status, attempts, sent_at)"
            " VALUES (?, ?, ?, ?, ?)",
            outbox,
        )
        wins.clear()
        moments.clear()
        outbox.clear()

    current: date | None = None
    for n in range(rows):
        ts = start + span * n / rows
        at = datetime.fromtimestamp(ts, UTC)
        day = local_day(at, ZONE, DAY_STARTS)
        if day != current:
            if current is not None:  # the evening's digest and a day's other moments
                evening = datetime.combine(current, dtime(20, 30), ZONE).timestamp()
                weekly = current.weekday() == 6
                moment(
                    f"digest:{current}", "weekly_digest" if weekly else "digest", "digest", evening
                )
                for kind, category, chance in RULE_MOMENTS:
                    if rng.random() < chance:
                        goal = rng.choice(list(GOALS))
                        moment(
                            f"{kind}:{goal}:{current}", kind, category, evening - 3600, goal=goal
                        )
            current = day
        source, detector, kind, _share, value = rng.choices(SOURCES, weights)[0]
        key = hashlib.sha1(f"{source}{n}".encode()).hexdigest()
        wins.append(
            (
                source,
                key,
                detector,
                kind,
                f"{kind.capitalize()} {n}: small steps add up",
                at.isoformat(),
                ts,
                day.isoformat(),
                value(rng),
                "min" if source == "sits" else "",
                json.dumps([source]),
                json.dumps({"place": source}),
                ts + 1,
            )
        )
        moment(
            f"win:{source}:{key}",
            "celebration",
            "celebration",
            ts + 1,
            source=source,
            grp=f"burst:{source}",
        )
        if len(wins) == 50_000:
            flush()
    flush()
    db.execute("INSERT INTO targets (name, last_ok_at) VALUES ('target-1', ?)", (end,))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    partial.rename(path)


def bench_live(root: Path, report: Report, rows: int, new: int, profile: bool) -> None:
    cached = lived_ledger_path(rows)
    for stale in CACHE.glob(f"smallwins-bench-coach-{rows}-*"):
        if stale != cached:  # built for an older schema or content: 600 MiB each
            stale.unlink()
    built = 0.0
    if not cached.exists():
        print(f"building the {rows:,}-win ledger at {cached} (once)...", file=sys.stderr)
        began = time.perf_counter()
        build_lived_ledger(cached, rows)
        built = time.perf_counter() - began
    work = root / "ledger.sqlite3"
    shutil.copyfile(cached, work)
    config = settings(goals=GOALS, digest="both", notify={"quiet_hours": "22:00-07:30"})
    coach = coach_for(config)
    ledger = SqliteLedger(work)
    timed = TimedConnection(ledger._db) if profile else None
    if timed is not None:
        ledger._db = timed  # type: ignore[assignment]  # the ledger's own connection, timed
    counts = (ledger.count_wins(), len(ledger.moments()))
    now = HISTORY_END + timedelta(hours=4)
    began = time.perf_counter()
    profiled(lambda: ledger.read(lambda view: coach.load(view, now)), profile, report, "coach.load")
    load = time.perf_counter() - began

    rng = random.Random(11)
    timings: list[float] = []
    floors: list[float] = []
    ticks: list[float] = []
    told: dict[str, int] = {}
    clock = now

    def tick_until(moment: datetime) -> None:
        nonlocal clock
        while (due := coach.schedule.next_clock(clock)) <= moment:
            began = time.perf_counter()
            ledger.tell(lambda view: coach.on_clock(view, due), lambda m: ["target-1"])
            ticks.append(time.perf_counter() - began)
            deliver()
            clock = due

    def record_one(k: int, at: datetime) -> float:
        source, detector, kind, _share, value = SOURCES[k % len(SOURCES)]
        win = Win(f"live-{k}", f"Live {kind} {k}", at, kind=kind, value=value(rng))
        scan = ScanInfo(source, source, kind, f"{kind}s", False, False, frozenset(), {})

        def moments_for(view: LedgerView, stored: list[Any]) -> list[Any]:
            made = coach.on_scan(view, scan, stored, now=at, coalesce=timedelta(seconds=0.4))
            for m in made:
                told[m.kind] = told.get(m.kind, 0) + 1
            return made

        began = time.perf_counter()
        ledger.record(
            source,
            detector,
            [win],
            {"k": k},
            zone=ZONE,
            day_starts_at=DAY_STARTS,
            moments_for=moments_for,
            targets_for=lambda m: ["target-1"],
        )
        return time.perf_counter() - began

    def deliver() -> None:
        """What the deliverer does within a second of a win: nothing stays pending for the
        next win's burst to join (it would otherwise rewrite their due times each time)."""
        with ledger.transaction() as db:
            db.execute("UPDATE outbox SET status = 'sent', attempts = 1 WHERE status = 'pending'")

    def run_all() -> None:
        # New wins over two and a half weeks: days and weeks end between them, so streaks,
        # totals, bests, comebacks, gains, level-ups and setbacks all have their chance.
        for k in range(new):
            at = now + timedelta(hours=8.5 * k, minutes=rng.randint(0, 59))
            tick_until(at)
            timings.append(record_one(k, at))
            deliver()
            # The floor: the same kind of transaction (one win, its cursor, fsync), no coach.
            began = time.perf_counter()
            ledger.record(
                "floor",
                "none",
                [Win(f"floor-{k}", "floor", at)],
                None,
                zone=ZONE,
                day_starts_at=DAY_STARTS,
            )
            floors.append(time.perf_counter() - began)

    if timed is not None:
        timed.times.clear()  # the load's statements are in the load's figure
    profiled(run_all, profile, report, f"{new} live wins")
    if timed is not None:
        report.notes.append(f"SQL statements of the {new} live wins and ticks:\n{timed.table()}")
    p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
    floor50 = percentile(floors, 0.5)
    report.rows.append(
        Row(
            f"one new win, {counts[0]:,} in the ledger: p50 / p95 / max of {new}",
            f"{ms(p50)} / {ms(p95)} / {ms(max(timings))}",
            f"record alone, no coach: p50 {ms(floor50)}",
            f"p95 < {ms(LIVE_TARGET)}",
            p95 < LIVE_TARGET,
        )
    )
    report.rows.append(
        Row(
            "coach.load at start (every goal's tracker)",
            f"{load:.2f} s",
            f"{len(GOALS)} goals",
            "-",
            None,
        )
    )
    if ticks:
        report.rows.append(
            Row(
                f"clock ticks (day ends, digests): p50 / max of {len(ticks)}",
                f"{ms(percentile(ticks, 0.5))} / {ms(max(ticks))}",
                "-",
                "-",
                None,
            )
        )
    ledger.close()
    began = time.perf_counter()
    with SqliteLedger(work, readonly=True) as readonly:
        gather(coach_for(config), readonly, clock)
    report.rows.append(
        Row(
            "stats on that ledger (load + snapshots, in-process)",
            f"{time.perf_counter() - began:.2f} s",
            "-",
            "-",
            None,
        )
    )
    report.notes.append(
        f"live: {counts[0]:,} wins and {counts[1]:,} moments (a celebration per win, digests "
        f"and notes) over ten years in {len(SOURCES)} sources, {len(GOALS)} goals; "
        f"{cached.stat().st_size / 2**20:.0f} MiB, cached at {cached}"
        + (f" (built now in {built:.0f} s)" if built else " (from the cache)")
        + f"; told during the run: {dict(sorted(told.items()))}"
    )


# -- (b) a replay of ten years of daily history ----------------------------------------------


def build_daily_ledger(path: Path, years: int) -> int:
    """One sit a day at 07:10 (in quiet hours: told at 07:30) for ``years`` years, with the
    odd quiet day and a holiday of rest days each summer."""
    rng = random.Random(5)
    first = (HISTORY_END - timedelta(days=365 * years)).date()
    wins = []
    minutes = 8.0
    rests = []
    for n in range(365 * years):
        day = first + timedelta(days=n)
        if day.month == 8 and day.day <= 5:
            rests.append(day)
            continue
        if rng.random() < 0.07:
            continue
        minutes = max(2.0, min(45.0, minutes + rng.choice((-1.0, 0.0, 0.5, 1.0))))
        at = datetime.combine(day, dtime(7, 10), ZONE)
        wins.append(Win(f"sit-{n}", "Morning sit", at, kind="meditation", value=minutes))
    with SqliteLedger(path) as ledger:
        ledger.record("sits", "meditation", wins, None, zone=ZONE, day_starts_at=DAY_STARTS)
        with ledger.transaction() as db:
            db.executemany(
                "INSERT INTO rest_days (source, day, reason) VALUES ('sits', ?, 'holiday')",
                [(d.isoformat(),) for d in rests],
            )
    return len(wins)


def bench_replay(root: Path, report: Report, years: int, profile: bool) -> None:
    path = root / "daily.sqlite3"
    count = build_daily_ledger(path, years)
    goals = {
        "sitting": {
            "sources": ["sits"],
            "metric": "minutes",
            "target": 10,
            "ramp": "5%",
            "max_target": 30,
        }
    }
    config = settings(goals=goals, digest="both", notify={"quiet_hours": "22:00-07:30"})
    coach = coach_for(config)
    began = time.perf_counter()
    with SqliteLedger(path, readonly=True) as history:
        told = profiled(lambda: replay(history, coach, []), profile, report, "replay")
    inside = time.perf_counter() - began
    kinds: dict[str, int] = {}
    for item in told:
        kinds[item.moment.kind] = kinds.get(item.moment.kind, 0) + 1
    report.rows.append(
        Row(
            f"replay of {years} years of daily history, in-process",
            f"{inside:.2f} s",
            f"{count:,} wins, {len(told):,} moments told",
            f"< {REPLAY_TARGET:.0f} s",
            inside < REPLAY_TARGET,
        )
    )
    config_file = root / "replay.toml"
    config_file.write_text(
        f'timezone = "{ZONE}"\nledger = "{path}"\ndigest = "both"\n'
        '[notify]\nquiet_hours = "22:00-07:30"\n'
        '[goals.sitting]\nsources = ["sits"]\nmetric = "minutes"\ntarget = 10\n'
        'ramp = "5%"\nmax_target = 30\n'
    )
    env = {**os.environ, "SMALLWINS_CONFIG": str(config_file)}
    command = [sys.executable, "-m", "smallwins", "replay", "--json"]
    began = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"smallwins replay failed: {done.stderr}")
    same = len(json.loads(done.stdout)) == len(told)
    report.rows.append(
        Row(
            "`smallwins replay --json` of the same, wall",
            f"{wall:.2f} s",
            "same moments as in-process" if same else "DIFFERENT moments",
            f"< {REPLAY_TARGET:.0f} s",
            wall < REPLAY_TARGET and same,
        )
    )
    report.notes.append(f"replay: moments told by kind: {dict(sorted(kinds.items()))}")


# -- the table -------------------------------------------------------------------------------


def print_report(report: Report, elapsed: float) -> None:
    header = ("figure", "measured", "floor / reference", "target", "result")
    table = [header]
    for row in report.rows:
        result = "-" if row.ok is None else ("PASS" if row.ok else "FAIL")
        table.append((row.figure, row.measured, row.reference, row.target, result))
    print()
    print(markdown_table(header, table[1:]))
    for note in report.notes:
        print(f"\n{note}")
    print(f"\ntotal {elapsed:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200,000 wins, 20 new ones")
    parser.add_argument("--only", choices=FIGURES, action="append", help="run only this figure")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print a cProfile of each figure, and the live figure's time per SQL statement",
    )
    args = parser.parse_args(argv)
    only = set(args.only or FIGURES)
    report = Report()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="smallwins-bench-coach-") as tmp:
        root = Path(tmp)
        isolate_environment(root)
        if "live" in only:
            rows, new = (200_000, 20) if args.quick else (1_000_000, 50)
            bench_live(root, report, rows, new, args.profile)
        if "replay" in only:
            bench_replay(root, report, 10, args.profile)
    print_report(report, time.perf_counter() - started)
    return 0 if all(row.ok is not False for row in report.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
