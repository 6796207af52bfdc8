"""The progress ledger: wins, cursors, moments and the outbox in one SQLite file."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from smallwins.detector import RestDay
from smallwins.moment import Moment
from smallwins.schema import MIGRATIONS
from smallwins.win import Win, local_day

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StoredWin:
    """A win as the ledger holds it: the detector's Win plus its source and local day."""

    id: int
    source: str
    detector: str
    key: str
    kind: str
    title: str
    occurred_at: datetime
    day: date
    value: float
    unit: str
    tags: tuple[str, ...]
    details: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "detector": self.detector,
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "occurred_at": self.occurred_at.isoformat(),
            "day": self.day.isoformat(),
            "value": self.value,
            "unit": self.unit,
            "tags": list(self.tags),
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class SourceState:
    name: str
    detector: str
    last_scan_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    failures: int
    paused_until: datetime | None
    problems: list[str]
    wins: int


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """An outbox row that is due, with its moment."""

    outbox_id: int
    target: str
    attempts: int
    moment: Moment


WIN_COLUMNS = "id, source, detector, key, kind, title, occurred_at, day, value, unit, tags, details"


def _stored(row: Sequence[Any]) -> StoredWin:
    return StoredWin(
        id=row[0],
        source=row[1],
        detector=row[2],
        key=row[3],
        kind=row[4],
        title=row[5],
        occurred_at=datetime.fromisoformat(row[6]),
        day=date.fromisoformat(row[7]),
        value=row[8],
        unit=row[9],
        tags=tuple(json.loads(row[10])),
        details=json.loads(row[11]),
    )


def _outdated(path: Path) -> bool:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0]) < len(MIGRATIONS)
    finally:
        db.close()


def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def _dt(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


class Ledger:
    """The SQLite ledger. Safe to share between threads; writers serialise on a lock."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly:
            # A ledger from an older version is brought up to date once, so that readers
            # (wins, status, stats) need not know old schemas.
            if _outdated(self.path):
                Ledger(self.path).close()
            uri = f"file:{self.path}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.isolation_level = None  # transactions are explicit: BEGIN IMMEDIATE
        self._lock = threading.RLock()
        self._db.execute("PRAGMA busy_timeout = 30000")
        if not readonly:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run a read under the lock: the connection is shared with writer threads."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    @property
    def schema_version(self) -> int:
        return int(self._one("PRAGMA user_version")[0])

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` with the connection, under the lock, outside any transaction."""
        with self._lock:
            return fn(self._db)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with BEGIN IMMEDIATE; rolled back on any error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- wins and cursors ---------------------------------------------------------------

    def cursor(self, source: str) -> Any:
        row = self._one("SELECT cursor FROM cursors WHERE source = ?", (source,))
        return json.loads(row[0]) if row else None

    def record(
        self,
        source: str,
        detector: str,
        wins: Iterable[Win],
        cursor: Any,
        *,
        zone: ZoneInfo,
        day_starts_at: dtime,
        moments_for: Callable[[sqlite3.Connection, list[StoredWin]], list[Moment]] | None = None,
        targets_for: Callable[[Moment], Sequence[str]] = lambda _: (),
        save_cursor: bool = True,
        rest_days: Sequence[RestDay] | None = None,
    ) -> list[StoredWin]:
        """Add the wins not yet recorded, the cursor, and the moments they make, atomically.

        ``moments_for`` gets the connection (inside the transaction) and the new wins; each
        moment it returns gets an outbox row per target ``targets_for`` names. Returns the
        wins that were new.
        """
        now = time.time()
        unique: dict[str, Win] = {}
        for win in wins:
            unique.setdefault(win.key, win)
        with self.transaction() as db:
            existing: set[str] = set()
            keys = list(unique)
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                existing.update(
                    row[0]
                    for row in db.execute(
                        f"SELECT key FROM wins WHERE source = ? AND key IN ({marks})",
                        (source, *chunk),
                    )
                )
            rows = []
            for key, win in unique.items():
                if key in existing:
                    continue
                day = local_day(win.occurred_at, zone, day_starts_at)
                rows.append(
                    (
                        source,
                        key,
                        detector,
                        win.kind,
                        win.title,
                        win.occurred_at.isoformat(),
                        win.occurred_at.timestamp(),
                        day.isoformat(),
                        float(win.value),
                        win.unit,
                        dumps(list(win.tags)),
                        dumps(dict(win.details)),
                        now,
                    )
                )
            new: list[StoredWin] = []
            if rows:
                first_id = (db.execute("SELECT COALESCE(MAX(id), 0) FROM wins").fetchone()[0]) + 1
                db.executemany(
                    "INSERT INTO wins (source, key, detector, kind, title, occurred_at, ts, day,"
                    " value, unit, tags, details, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                new = [
                    StoredWin(
                        id=first_id + offset,
                        source=row[0],
                        detector=detector,
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
            if save_cursor:
                db.execute(
                    "INSERT INTO cursors (source, detector, cursor, updated_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET"
                    " detector = excluded.detector, cursor = excluded.cursor,"
                    " updated_at = excluded.updated_at",
                    (source, detector, dumps(cursor), now),
                )
            if rest_days is not None:
                db.execute("DELETE FROM rest_days WHERE source = ?", (source,))
                db.executemany(
                    "INSERT OR IGNORE INTO rest_days (source, day, reason) VALUES (?, ?, ?)",
                    [(source, r.day.isoformat(), r.reason) for r in rest_days],
                )
            if moments_for is not None:
                for moment in moments_for(db, new):
                    self._add_moment(db, moment, targets_for(moment))
        return new

    def tell(
        self,
        make: Callable[[sqlite3.Connection], list[Moment]],
        targets_for: Callable[[Moment], Sequence[str]],
    ) -> list[Moment]:
        """Store the moments ``make`` returns (it may read the ledger) in one transaction;
        returns those not told before."""
        with self.transaction() as db:
            return [m for m in make(db) if self._add_moment(db, m, targets_for(m))]

    def add_moment(self, moment: Moment, targets: Sequence[str]) -> bool:
        """Store a moment and its outbox rows; False when its dedupe key was told before."""
        with self.transaction() as db:
            return self._add_moment(db, moment, targets)

    def _add_moment(self, db: sqlite3.Connection, moment: Moment, targets: Sequence[str]) -> bool:
        row = db.execute(
            "INSERT INTO moments (dedupe_key, kind, category, source, goal, grp, title, message,"
            " payload, created_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            (
                moment.dedupe_key,
                moment.kind,
                moment.category,
                moment.source,
                moment.goal,
                moment.group,
                moment.title,
                moment.message,
                dumps(moment.payload),
                moment.at.timestamp(),
                moment.due_at.timestamp(),
            ),
        ).fetchone()
        if row is None:
            return False
        moment.id = row[0]
        db.executemany(
            "INSERT INTO outbox (moment_id, target) VALUES (?, ?)",
            [(row[0], target) for target in targets],
        )
        return True

    def wins(
        self,
        *,
        since: datetime | None = None,
        source: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[StoredWin]:
        clauses: list[str] = []
        params: list[Any] = []
        if since is not None:
            clauses.append("ts >= ?")
            params.append(since.timestamp())
        if source is not None:
            clauses.append("source = ?")
            params.append(source)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT {WIN_COLUMNS} FROM wins {where} ORDER BY ts {order}, id {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_stored(row) for row in self._rows(sql, params)]

    def rest_days(
        self, *, source: str | None = None, since: date | None = None, until: date | None = None
    ) -> list[tuple[str, RestDay]]:
        """Rest days as ``(source, RestDay)``, by day; ``since`` and ``until`` are inclusive."""
        clauses: list[str] = []
        params: list[Any] = []
        for clause, value in (("source = ?", source), ("day >= ?", since), ("day <= ?", until)):
            if value is not None:
                clauses.append(clause)
                params.append(value.isoformat() if isinstance(value, date) else value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._rows(
            f"SELECT source, day, reason FROM rest_days {where} ORDER BY day, source, reason",
            params,
        )
        return [(row[0], RestDay(date.fromisoformat(row[1]), row[2])) for row in rows]

    def count_wins(self, source: str | None = None) -> int:
        if source is None:
            return int(self._one("SELECT COUNT(*) FROM wins")[0])
        return int(self._one("SELECT COUNT(*) FROM wins WHERE source = ?", (source,))[0])

    # -- source state ---------------------------------------------------------------------

    def note_scan(
        self,
        source: str,
        detector: str,
        *,
        error: str | None,
        problems: Sequence[str] = (),
        paused_until: datetime | None = None,
    ) -> int:
        """Record a scan's outcome; returns the number of failures in a row."""
        now = time.time()
        with self.transaction() as db:
            row = db.execute("SELECT failures FROM sources WHERE name = ?", (source,)).fetchone()
            failures = 0 if error is None else (row[0] if row else 0) + 1
            db.execute(
                "INSERT INTO sources (name, detector, last_scan_at, last_ok_at, last_error,"
                " failures, paused_until, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET detector = excluded.detector,"
                " last_scan_at = excluded.last_scan_at,"
                " last_ok_at = COALESCE(excluded.last_ok_at, sources.last_ok_at),"
                " last_error = excluded.last_error, failures = excluded.failures,"
                " paused_until = excluded.paused_until, problems = excluded.problems",
                (
                    source,
                    detector,
                    now,
                    now if error is None else None,
                    error,
                    failures,
                    _ts(paused_until),
                    dumps(list(problems)[-20:]),
                ),
            )
        return failures

    def source_state(self, name: str) -> SourceState | None:
        """One source's last scan, without counting its wins (cheap: called on every scan)."""
        states = self._states("WHERE name = ?", (name,), counts={})
        return states[0] if states else None

    def source_states(self) -> list[SourceState]:
        counts = dict(self._rows("SELECT source, COUNT(*) FROM wins GROUP BY source"))
        return self._states("", (), counts)

    def _states(
        self, where: str, params: tuple[Any, ...], counts: dict[str, int]
    ) -> list[SourceState]:
        states = []
        for row in self._rows(
            "SELECT name, detector, last_scan_at, last_ok_at, last_error, failures,"
            f" paused_until, problems FROM sources {where} ORDER BY name",
            params,
        ):
            states.append(
                SourceState(
                    name=row[0],
                    detector=row[1],
                    last_scan_at=_dt(row[2]),
                    last_ok_at=_dt(row[3]),
                    last_error=row[4],
                    failures=row[5],
                    paused_until=_dt(row[6]),
                    problems=json.loads(row[7]),
                    wins=counts.get(row[0], 0),
                )
            )
        return states

    # -- outbox ---------------------------------------------------------------------------

    def due(self, now: datetime, targets: Sequence[str]) -> list[PendingDelivery]:
        """Pending outbox rows of the given targets whose moment is due and target is ready."""
        if not targets:
            return []
        marks = ",".join("?" * len(targets))
        rows = self._rows(
            "SELECT o.id, o.target, o.attempts, m.id, m.dedupe_key, m.kind, m.category,"
            " m.source, m.goal, m.grp, m.title, m.message, m.payload, m.created_at, m.due_at"
            " FROM outbox o JOIN moments m ON m.id = o.moment_id"
            " LEFT JOIN targets t ON t.name = o.target"
            f" WHERE o.status = 'pending' AND o.target IN ({marks})"
            " AND m.due_at <= ? AND COALESCE(t.next_attempt_at, 0) <= ?"
            " ORDER BY m.due_at, m.id",
            (*targets, now.timestamp(), now.timestamp()),
        )
        return [
            PendingDelivery(
                outbox_id=row[0],
                target=row[1],
                attempts=row[2],
                moment=Moment(
                    id=row[3],
                    dedupe_key=row[4],
                    kind=row[5],
                    category=row[6],
                    source=row[7],
                    goal=row[8],
                    group=row[9],
                    title=row[10],
                    message=row[11],
                    payload=json.loads(row[12]),
                    at=datetime.fromtimestamp(row[13], UTC),
                    due_at=datetime.fromtimestamp(row[14], UTC),
                ),
            )
            for row in rows
        ]

    def next_due(self, targets: Sequence[str]) -> datetime | None:
        """When the earliest pending row of these targets can next be tried."""
        if not targets:
            return None
        marks = ",".join("?" * len(targets))
        row = self._one(
            "SELECT MIN(MAX(m.due_at, COALESCE(t.next_attempt_at, 0)))"
            " FROM outbox o JOIN moments m ON m.id = o.moment_id"
            " LEFT JOIN targets t ON t.name = o.target"
            f" WHERE o.status = 'pending' AND o.target IN ({marks})",
            tuple(targets),
        )
        return _dt(row[0])

    def mark_sent(self, outbox_ids: Sequence[int], target: str) -> None:
        now = time.time()
        with self.transaction() as db:
            db.executemany(
                "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
                " last_error = NULL WHERE id = ?",
                [(now, oid) for oid in outbox_ids],
            )
            db.execute(
                "INSERT INTO targets (name, failures, next_attempt_at, last_ok_at)"
                " VALUES (?, 0, 0, ?) ON CONFLICT (name) DO UPDATE SET failures = 0,"
                " next_attempt_at = 0, last_error = NULL, last_ok_at = excluded.last_ok_at",
                (target, now),
            )

    def mark_failed(
        self, outbox_ids: Sequence[int], target: str, error: str, retry_at: datetime
    ) -> int:
        """Count a failed attempt and hold the target until ``retry_at``; returns its failures."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                [(error, oid) for oid in outbox_ids],
            )
            db.execute(
                "INSERT INTO targets (name, failures, next_attempt_at, last_error)"
                " VALUES (?, 1, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " failures = targets.failures + 1, next_attempt_at = excluded.next_attempt_at,"
                " last_error = excluded.last_error",
                (target, retry_at.timestamp(), error),
            )
            return int(
                db.execute("SELECT failures FROM targets WHERE name = ?", (target,)).fetchone()[0]
            )

    def target_failures(self, target: str) -> int:
        row = self._one("SELECT failures FROM targets WHERE name = ?", (target,))
        return int(row[0]) if row else 0

    def outbox_counts(self) -> dict[str, int]:
        """Pending rows, and how many of them have failed at least once."""
        row = self._one(
            "SELECT COUNT(*), COALESCE(SUM(attempts > 0), 0) FROM outbox WHERE status = 'pending'"
        )
        return {"pending": int(row[0]), "failed": int(row[1])}

    def target_states(self) -> list[dict[str, Any]]:
        return [
            {
                "name": row[0],
                "failures": row[1],
                "next_attempt_at": _dt(row[2] or None),
                "last_error": row[3],
                "last_ok_at": _dt(row[4]),
            }
            for row in self._rows(
                "SELECT name, failures, next_attempt_at, last_error, last_ok_at FROM targets"
                " ORDER BY name"
            )
        ]

    def moments(self, *, since: datetime | None = None) -> list[Moment]:
        rows = self._rows(
            "SELECT id, dedupe_key, kind, category, source, goal, grp, title, message, payload,"
            " created_at, due_at FROM moments WHERE created_at >= ? ORDER BY id",
            (since.timestamp() if since else 0,),
        )
        return [
            Moment(
                id=r[0],
                dedupe_key=r[1],
                kind=r[2],
                category=r[3],
                source=r[4],
                goal=r[5],
                group=r[6],
                title=r[7],
                message=r[8],
                payload=json.loads(r[9]),
                at=datetime.fromtimestamp(r[10], UTC),
                due_at=datetime.fromtimestamp(r[11], UTC),
            )
            for r in rows
        ]
