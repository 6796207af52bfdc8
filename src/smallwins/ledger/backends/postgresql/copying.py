"""A PostgreSQL ledger's rows as every implementation stores them, out and in (``ledger copy``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smallwins.ledger.backends.postgresql.connection import Connected
from smallwins.ledger.rows import export_page

# table -> (the rows out; the key they are paged by, None for a small table read whole;
# the rows in)
_SQL: dict[str, tuple[str, str | None, str]] = {
    "machines": (
        "SELECT id, label, first_seen, last_contact, settings FROM machines",
        None,
        "INSERT INTO machines VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
    ),
    "sources": (
        "SELECT name, detector, last_scan_at, last_ok_at, last_error, failures, paused_until,"
        " problems FROM sources",
        None,
        "INSERT INTO sources VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
    ),
    "cursors": (
        "SELECT machine, source, detector, cursor, updated_at FROM cursors",
        None,
        "INSERT INTO cursors (machine, source, detector, cursor, updated_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
    ),
    "rest_days": (
        "SELECT source, day::text, reason FROM rest_days",
        None,
        "INSERT INTO rest_days VALUES (%s, %s::date, %s) ON CONFLICT DO NOTHING",
    ),
    "targets": (
        "SELECT name, failures, next_attempt_at, last_error, last_ok_at FROM targets",
        None,
        "INSERT INTO targets VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
    ),
    "wins": (
        "SELECT id, source, key, detector, kind, title, occurred_at, ts, day::text, value, unit,"
        " tags, details, recorded_at FROM wins",
        "id",
        "INSERT INTO wins (source, key, detector, kind, title, occurred_at, ts, day, value,"
        " unit, tags, details, recorded_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s::date, %s, %s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
    ),
    "moments": (
        "SELECT id, dedupe_key, kind, category, source, goal, grp, title, message, payload,"
        " created_at, due_at, machine FROM moments",
        "id",
        "INSERT INTO moments (dedupe_key, kind, category, source, goal, grp, title, message,"
        " payload, created_at, due_at, machine)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
    ),
    # By the moment's dedupe key, not its id (ids differ between ledgers). A frozen row's
    # outcome is unknown: it goes across pending, to be sent (at most once more).
    "outbox": (
        "SELECT o.id, m.dedupe_key, o.target, CASE o.status WHEN 'frozen' THEN 'pending'"
        " ELSE o.status END, o.attempts, o.last_error, o.sent_at"
        " FROM outbox o JOIN moments m ON m.id = o.moment_id",
        "o.id",
        "INSERT INTO outbox (moment_id, target, status, attempts, last_error, sent_at)"
        " SELECT m.id, %(target)s, %(status)s, %(attempts)s, %(last_error)s, %(sent_at)s"
        " FROM moments m WHERE m.dedupe_key = %(key)s ON CONFLICT DO NOTHING",
    ),
    # An experiment has no key of its own: the same name on the same goal from the same day
    # is the same one.
    "experiments": (
        "SELECT id, name, goal, start::text, days, stopped::text, created_at FROM experiments",
        "id",
        "INSERT INTO experiments (name, goal, start, days, stopped, created_at)"
        " SELECT v.name, v.goal, v.start, v.days, v.stopped, v.created_at"
        " FROM (VALUES (%s, %s, %s::date, %s::integer, %s::date, %s::float8))"
        " AS v (name, goal, start, days, stopped, created_at)"
        " WHERE NOT EXISTS (SELECT 1 FROM experiments e"
        " WHERE e.name = v.name AND e.goal = v.goal AND e.start = v.start)",
    ),
}
_OUTBOX = ("key", "target", "status", "attempts", "last_error", "sent_at")


class CopyStore(Connected):
    def count_rows(self, table: str) -> int:
        return int(self._one(f"SELECT COUNT(*) FROM {_known(table)}")[0])

    def export_rows(self, table: str, after: int = 0) -> tuple[list[tuple[Any, ...]], int | None]:
        select, key, _ = _SQL[_known(table)]
        return export_page(self._rows, select, key, after, "%s")

    def import_rows(self, table: str, rows: Sequence[Sequence[Any]]) -> int:
        if not rows:
            return 0
        params: Sequence[Any] = rows
        if table == "outbox":
            params = [dict(zip(_OUTBOX, row, strict=True)) for row in rows]
        with self.transaction() as db:
            with db.cursor() as cur:
                cur.executemany(_SQL[_known(table)][2], params)
                added = max(cur.rowcount, 0)
            if table in ("wins", "rest_days") and added:
                # Daemons already recording here count these sources' goals again.
                for source in sorted({row[0] for row in rows}):
                    self._note_change(db, source, (), redraw=True)
            return added


def _known(table: str) -> str:
    if table not in _SQL:
        raise ValueError(f"{table!r} is not a table a ledger copies")
    return table
