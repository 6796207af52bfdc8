"""Moments and the outbox in PostgreSQL: what was told, what waits, and how each target stands."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg

from smallwins.api.moment import Moment
from smallwins.ledger.backends.postgresql.sends import SendStore
from smallwins.ledger.records import PendingDelivery, SetbackMark, TargetState, dumps
from smallwins.ledger.rows import dt

MOMENT_COLUMNS = (
    "m.id, m.dedupe_key, m.kind, m.category, m.source, m.goal, m.grp, m.title, m.message,"
    " m.payload, m.created_at, m.due_at"
)
# Moments (one array per column, in their order) and their outbox rows (each target paired
# with its moment's dedupe key, in the same order); the keys and ids of the moments inserted.
_INSERT_MOMENTS = (
    "WITH m AS (INSERT INTO moments (dedupe_key, kind, category, source, goal, grp, title,"
    " message, payload, created_at, due_at, machine)"
    " SELECT r.dedupe_key, r.kind, r.category, r.source, r.goal, r.grp, r.title, r.message,"
    " r.payload, r.created_at, r.due_at, %s"
    " FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],"
    " %s::text[], %s::text[], %s::text[], %s::float8[], %s::float8[]) WITH ORDINALITY"
    " AS r (dedupe_key, kind, category, source, goal, grp, title, message, payload,"
    " created_at, due_at, n) ORDER BY r.n"
    " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key),"
    " o AS (INSERT INTO outbox (moment_id, target) SELECT m.id, t.target FROM m"
    " JOIN unnest(%s::text[], %s::text[]) WITH ORDINALITY AS t (dedupe_key, target, n)"
    " ON t.dedupe_key = m.dedupe_key ORDER BY t.n)"
    " SELECT dedupe_key, id FROM m"
)
# A setback held back by its budget was never told: it counts for nothing but the digest.
TOLD_SETBACK = "category = 'setback' AND grp IS DISTINCT FROM 'deferred'"


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


# The moments that wait, never tried: a few rows of the outbox, found by its status. Taken
# first, so a burst is not looked for among every celebration its group ever had.
_WAITING = (
    "WITH waiting AS MATERIALIZED (SELECT DISTINCT moment_id AS id FROM outbox"
    " WHERE status = 'pending' AND attempts = 0)"
)


class MomentStore(SendStore):
    # -- what the coach asks ---------------------------------------------------------------

    def moment_told(self, dedupe_key: str) -> bool:
        return self._one("SELECT 1 FROM moments WHERE dedupe_key = %s", (dedupe_key,)) is not None

    def last_told_at(self, kind: str, goal: str | None) -> datetime | None:
        row = self._one(
            "SELECT MAX(created_at) FROM moments WHERE kind = %s AND goal IS NOT DISTINCT FROM %s",
            (kind, goal),
        )
        return dt(row[0])

    def times_told(self, kind: str, goal: str) -> list[datetime]:
        rows = self._rows(
            "SELECT created_at FROM moments WHERE kind = %s AND goal = %s ORDER BY created_at",
            (kind, goal),
        )
        return [at for (made,) in rows if (at := dt(made)) is not None]

    def last_words(self, kind: str) -> tuple[str, str] | None:
        row = self._one(
            "SELECT title, message FROM moments WHERE kind = %s AND grp IS DISTINCT FROM 'deferred'"
            " ORDER BY id DESC LIMIT 1",
            (kind,),
        )
        return (row[0], row[1]) if row else None

    def last_setback(self, goal: str | None) -> datetime | None:
        row = self._one(
            f"SELECT MAX(due_at) FROM moments WHERE {TOLD_SETBACK}"
            " AND goal IS NOT DISTINCT FROM %s",
            (goal,),
        )
        return dt(row[0])

    def last_setback_any(self) -> SetbackMark | None:
        row = self._one(f"SELECT MAX(due_at), MAX(created_at) FROM moments WHERE {TOLD_SETBACK}")
        if row[0] is None:
            return None
        return SetbackMark(datetime.fromtimestamp(row[0], UTC), datetime.fromtimestamp(row[1], UTC))

    def count_celebrations(self, since: datetime | None) -> int:
        row = self._one(
            "SELECT COUNT(*) FROM moments WHERE category = 'celebration' AND created_at > %s",
            (since.timestamp() if since else 0,),
        )
        return int(row[0])

    def last_digest_at(self) -> datetime | None:
        return dt(self._one("SELECT MAX(created_at) FROM moments WHERE category = 'digest'")[0])

    def held_back(self, since: datetime | None, *, except_goals: Sequence[str] = ()) -> list[str]:
        rows = self._rows(
            "SELECT message, goal FROM moments WHERE grp = 'deferred' AND created_at > %s"
            " ORDER BY id",
            (since.timestamp() if since else 0,),
        )
        return [message for message, goal in rows if goal not in except_goals]

    def burst_started(self, group: str) -> datetime | None:
        row = self._one(
            f"{_WAITING} SELECT MIN(m.created_at) FROM waiting w JOIN moments m ON m.id = w.id"
            " WHERE m.grp = %s",
            (group,),
        )
        return dt(row[0])

    def move_burst(self, group: str, due: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                f"{_WAITING} UPDATE moments m SET due_at = %s FROM waiting w"
                " WHERE m.id = w.id AND m.grp = %s",
                (due.timestamp(), group),
            )

    # -- moments ---------------------------------------------------------------------------

    def moments(self, *, since: datetime | None = None) -> list[Moment]:
        rows = self._rows(
            f"SELECT {MOMENT_COLUMNS} FROM moments m WHERE m.created_at >= %s ORDER BY m.id",
            (since.timestamp() if since else 0,),
        )
        return [_moment(row) for row in rows]

    def outbox_targets(self, moment_id: int) -> list[str]:
        rows = self._rows(
            "SELECT target FROM outbox WHERE moment_id = %s ORDER BY id", (moment_id,)
        )
        return [row[0] for row in rows]

    def add_moment(self, moment: Moment, targets: Sequence[str]) -> bool:
        with self.transaction() as db:
            return self._insert_moment(db, moment, targets)

    def _insert_moment(
        self, db: psycopg.Connection[Any], moment: Moment, targets: Sequence[str]
    ) -> bool:
        return bool(self._insert_moments(db, [(moment, targets)]))

    def _insert_moments(
        self, db: psycopg.Connection[Any], moments: Sequence[tuple[Moment, Sequence[str]]]
    ) -> list[Moment]:
        """Insert moments not made before (by their dedupe key) with their outbox rows, in
        one statement whatever their number: it runs under the recording lock, which the
        other machines wait for. Returns those inserted, each with its id, in their order."""
        # A key twice in one call: its first moment is the one that can be inserted.
        first: dict[str, tuple[Moment, Sequence[str]]] = {}
        for moment, targets in moments:
            first.setdefault(moment.dedupe_key, (moment, targets))
        if not first:
            return []
        columns: list[list[Any]] = [[] for _ in range(11)]
        keys, names = [], []
        for moment, targets in first.values():
            row = (
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
            )
            for column, value in zip(columns, row, strict=True):
                column.append(value)
            keys += [moment.dedupe_key] * len(targets)
            names += list(targets)
        ids = dict(db.execute(_INSERT_MOMENTS, (self._machine or None, *columns, keys, names)))
        made = []
        for moment, _targets in first.values():
            if moment.dedupe_key in ids:
                moment.id = ids[moment.dedupe_key]
                made.append(moment)
        return made

    # -- the outbox --------------------------------------------------------------------------

    def due(
        self, now: datetime, targets: Sequence[str], *, shared: Sequence[str] = ()
    ) -> list[PendingDelivery]:
        if not targets:
            return []
        here, params = self._told_here(shared)
        rows = self._rows(
            f"SELECT o.id, o.target, o.attempts, {MOMENT_COLUMNS}"
            " FROM outbox o JOIN moments m ON m.id = o.moment_id"
            " LEFT JOIN targets t ON t.name = o.target"
            f" WHERE o.status = 'pending' AND o.target = ANY(%s::text[])"
            f" AND m.due_at <= %s AND COALESCE(t.next_attempt_at, 0) <= %s{here}"
            " ORDER BY m.due_at, m.id",
            (list(targets), now.timestamp(), now.timestamp(), *params),
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
        here, params = self._told_here(shared)
        row = self._one(
            "SELECT MIN(GREATEST(m.due_at, COALESCE(t.next_attempt_at, 0)))"
            " FROM outbox o JOIN moments m ON m.id = o.moment_id"
            " LEFT JOIN targets t ON t.name = o.target"
            f" WHERE o.status IN ('pending', 'frozen') AND o.target = ANY(%s::text[]){here}",
            (list(targets), *params),
        )
        return dt(row[0])

    def mark_sent(self, outbox_ids: Sequence[int], target: str) -> None:
        now = time.time()
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = %s, attempts = attempts + 1,"
                " last_error = NULL WHERE id = ANY(%s::bigint[])",
                (now, list(outbox_ids)),
            )
            db.execute(
                "INSERT INTO targets (name, failures, next_attempt_at, last_ok_at)"
                " VALUES (%s, 0, 0, %s) ON CONFLICT (name) DO UPDATE SET failures = 0,"
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
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = %s"
                " WHERE id = ANY(%s::bigint[])",
                (error, list(outbox_ids)),
            )
            if thaw:
                self._thaw(db, outbox_ids)
            (failures,) = db.execute(
                "INSERT INTO targets (name, failures, next_attempt_at, last_error)"
                " VALUES (%s, 1, %s, %s) ON CONFLICT (name) DO UPDATE SET"
                " failures = targets.failures + 1, next_attempt_at = excluded.next_attempt_at,"
                " last_error = excluded.last_error RETURNING failures",
                (target, retry_at.timestamp(), error),
            ).fetchall()[0]
            return int(failures)

    def target_failures(self, target: str) -> int:
        row = self._one("SELECT failures FROM targets WHERE name = %s", (target,))
        return int(row[0]) if row else 0

    def outbox_counts(self) -> dict[str, int]:
        row = self._one(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE attempts > 0) FROM outbox"
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
