"""Moments and the outbox in SQLite: what was told, what waits, and how each target stands."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from smallwins.api.moment import Moment
from smallwins.ledger.backends.sqlite.connection import marks
from smallwins.ledger.backends.sqlite.sends import SendStore
from smallwins.ledger.records import PendingDelivery, SetbackMark, TargetState, dumps
from smallwins.ledger.rows import dt

MOMENT_COLUMNS = (
    "m.id, m.dedupe_key, m.kind, m.category, m.source, m.goal, m.grp, m.title, m.message,"
    " m.payload, m.created_at, m.due_at"
)
# A setback held back by its budget was never told: it counts for nothing but the digest.
TOLD_SETBACK = "category = 'setback' AND grp IS NOT 'deferred'"


def _moment(row: Sequence[Any]) -> Moment:
    return Moment(
        id=row[0],
        dedupe_key=row[1],
        kind=row[2],
        category=row[3],
        source=row[4],
        goal=row[5],
        group=row[6],
        title=row[7],
        message=row[8],
        payload=json.loads(row[9]),
        at=datetime.fromtimestamp(row[10], UTC),
        due_at=datetime.fromtimestamp(row[11], UTC),
    )


class MomentStore(SendStore):
    # -- what the coach asks ---------------------------------------------------------------

    def moment_told(self, dedupe_key: str) -> bool:
        return self._one("SELECT 1 FROM moments WHERE dedupe_key = ?", (dedupe_key,)) is not None

    def last_told_at(self, kind: str, goal: str | None) -> datetime | None:
        row = self._one(
            "SELECT MAX(created_at) FROM moments WHERE kind = ? AND goal IS ?", (kind, goal)
        )
        return dt(row[0])

    def times_told(self, kind: str, goal: str) -> list[datetime]:
        rows = self._rows(
            "SELECT created_at FROM moments WHERE kind = ? AND goal = ? ORDER BY created_at",
            (kind, goal),
        )
        return [at for (made,) in rows if (at := dt(made)) is not None]

    def last_words(self, kind: str) -> tuple[str, str] | None:
        row = self._one(
            "SELECT title, message FROM moments WHERE kind = ? AND grp IS NOT 'deferred'"
            " ORDER BY id DESC LIMIT 1",
            (kind,),
        )
        return (row[0], row[1]) if row else None

    def last_setback(self, goal: str | None) -> datetime | None:
        row = self._one(
            f"SELECT MAX(due_at) FROM moments WHERE {TOLD_SETBACK} AND goal IS ?", (goal,)
        )
        return dt(row[0])

    def last_setback_any(self) -> SetbackMark | None:
        row = self._one(f"SELECT MAX(due_at), MAX(created_at) FROM moments WHERE {TOLD_SETBACK}")
        if row[0] is None:
            return None
        return SetbackMark(datetime.fromtimestamp(row[0], UTC), datetime.fromtimestamp(row[1], UTC))

    def count_celebrations(self, since: datetime | None) -> int:
        row = self._one(
            "SELECT COUNT(*) FROM moments WHERE category = 'celebration' AND created_at > ?",
            (since.timestamp() if since else 0,),
        )
        return int(row[0])

    def last_digest_at(self) -> datetime | None:
        return dt(self._one("SELECT MAX(created_at) FROM moments WHERE category = 'digest'")[0])

    def held_back(self, since: datetime | None, *, except_goals: Sequence[str] = ()) -> list[str]:
        rows = self._rows(
            "SELECT message, goal FROM moments WHERE grp = 'deferred' AND created_at > ?"
            " ORDER BY id",
            (since.timestamp() if since else 0,),
        )
        return [message for message, goal in rows if goal not in except_goals]

    def burst_started(self, group: str) -> datetime | None:
        row = self._one(
            "SELECT MIN(m.created_at) FROM moments m JOIN outbox o ON o.moment_id = m.id"
            " WHERE m.grp = ? AND o.status = 'pending' AND o.attempts = 0",
            (group,),
        )
        return dt(row[0])

    def move_burst(self, group: str, due: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE moments SET due_at = ? WHERE grp = ? AND id IN"
                " (SELECT moment_id FROM outbox WHERE status = 'pending' AND attempts = 0)",
                (due.timestamp(), group),
            )

    # -- moments ---------------------------------------------------------------------------

    def moments(self, *, since: datetime | None = None) -> list[Moment]:
        rows = self._rows(
            f"SELECT {MOMENT_COLUMNS} FROM moments m WHERE m.created_at >= ? ORDER BY m.id",
            (since.timestamp() if since else 0,),
        )
        return [_moment(row) for row in rows]

    def outbox_targets(self, moment_id: int) -> list[str]:
        rows = self._rows("SELECT target FROM outbox WHERE moment_id = ? ORDER BY id", (moment_id,))
        return [row[0] for row in rows]

    def add_moment(self, moment: Moment, targets: Sequence[str]) -> bool:
        with self.transaction() as db:
            return self._insert_moment(db, moment, targets)

    @staticmethod
    def _insert_moment(db: sqlite3.Connection, moment: Moment, targets: Sequence[str]) -> bool:
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

    # -- the outbox --------------------------------------------------------------------------

    # One machine, always the lead: ``shared`` changes nothing here.
    def due(
        self, now: datetime, targets: Sequence[str], *, shared: Sequence[str] = ()
    ) -> list[PendingDelivery]:
        if not targets:
            return []
        rows = self._rows(
            f"SELECT o.id, o.target, o.attempts, {MOMENT_COLUMNS}"
            " FROM outbox o JOIN moments m ON m.id = o.moment_id"
            " LEFT JOIN targets t ON t.name = o.target"
            f" WHERE o.status = 'pending' AND o.target IN ({marks(targets)})"
            " AND m.due_at <= ? AND COALESCE(t.next_attempt_at, 0) <= ?"
            " ORDER BY m.due_at, m.id",
            (*targets, now.timestamp(), now.timestamp()),
        )
        return [PendingDelivery(row[0], row[1], row[2], _moment(row[3:])) for row in rows]

    def unsent(self) -> list[PendingDelivery]:
        rows = self._rows(
            f"SELECT o.id, o.target, o.attempts, {MOMENT_COLUMNS}"
            " FROM outbox o JOIN moments m ON m.id = o.moment_id"
            " WHERE o.status <> 'sent' ORDER BY m.id, o.id"
        )
        return [PendingDelivery(row[0], row[1], row[2], _moment(row[3:])) for row in rows]

    def next_due(self, targets: Sequence[str], *, shared: Sequence[str] = ()) -> datetime | None:
        if not targets:
            return None
        row = self._one(
            "SELECT MIN(MAX(m.due_at, COALESCE(t.next_attempt_at, 0)))"
            " FROM outbox o JOIN moments m ON m.id = o.moment_id"
            " LEFT JOIN targets t ON t.name = o.target"
            f" WHERE o.status IN ('pending', 'frozen') AND o.target IN ({marks(targets)})",
            tuple(targets),
        )
        return dt(row[0])

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
        self,
        outbox_ids: Sequence[int],
        target: str,
        error: str,
        retry_at: datetime,
        *,
        thaw: bool = True,
    ) -> int:
        with self.transaction() as db:
            db.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                [(error, oid) for oid in outbox_ids],
            )
            if thaw:
                self._thaw(db, outbox_ids)
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
        row = self._one(
            "SELECT COUNT(*), COALESCE(SUM(attempts > 0), 0) FROM outbox"
            " WHERE status IN ('pending', 'frozen')"
        )
        return {"pending": int(row[0]), "failed": int(row[1])}

    def target_states(self) -> list[TargetState]:
        return [
            TargetState(row[0], row[1], dt(row[2] or None), row[3], dt(row[4]))
            for row in self._rows(
                "SELECT name, failures, next_attempt_at, last_error, last_ok_at FROM targets"
                " ORDER BY name"
            )
        ]
