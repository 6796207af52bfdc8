"""A SQLite ledger's rows as every implementation stores them, out and in (``ledger copy``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smallwins.ledger.backends.sqlite.connection import Connected
from smallwins.ledger.rows import export_page

# table -> (the rows out, from an id on, or None for a small table read whole; the rows in)
_SQL: dict[str, tuple[str, str | None, str]] = {
    "machines": (
        "SELECT id, label, first_seen, last_contact, settings FROM machines",
        None,
        "INSERT OR IGNORE INTO machines VALUES (?, ?, ?, ?, ?)",
    ),
    "sources": (
        "SELECT name, detector, last_scan_at, last_ok_at, last_error, failures, paused_until,"
        " problems FROM sources",
        None,
        "INSERT OR IGNORE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    # One machine's: they go out as kept before there were machines.
    "cursors": (
        "SELECT '', source, detector, cursor, updated_at FROM cursors",
        None,
        "INSERT OR IGNORE INTO cursors VALUES (?, ?, ?, ?)",
    ),
    "rest_days": (
        "SELECT source, day, reason FROM rest_days",
        None,
        "INSERT OR IGNORE INTO rest_days VALUES (?, ?, ?)",
    ),
    "targets": (
        "SELECT name, failures, next_attempt_at, last_error, last_ok_at FROM targets",
        None,
        "INSERT OR IGNORE INTO targets VALUES (?, ?, ?, ?, ?)",
    ),
    "wins": (
        "SELECT id, source, key, detector, kind, title, occurred_at, ts, day, value, unit, tags,"
        " details, recorded_at FROM wins",
        "id",
        "INSERT OR IGNORE INTO wins (source, key, detector, kind, title, occurred_at, ts, day,"
        " value, unit, tags, details, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    "moments": (
        "SELECT id, dedupe_key, kind, category, source, goal, grp, title, message, payload,"
        " created_at, due_at, NULL FROM moments",
        "id",
        "INSERT OR IGNORE INTO moments (dedupe_key, kind, category, source, goal, grp, title,"
        " message, payload, created_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    # By the moment's dedupe key, not its id (ids differ between ledgers). A frozen row's
    # outcome is unknown: it goes across pending, to be sent (at most once more).
    "outbox": (
        "SELECT o.id, m.dedupe_key, o.target, CASE o.status WHEN 'frozen' THEN 'pending'"
        " ELSE o.status END, o.attempts, o.last_error, o.sent_at"
        " FROM outbox o JOIN moments m ON m.id = o.moment_id",
        "o.id",
        "INSERT OR IGNORE INTO outbox (moment_id, target, status, attempts, last_error, sent_at)"
        " SELECT m.id, ?2, ?3, ?4, ?5, ?6 FROM moments m WHERE m.dedupe_key = ?1",
    ),
    # An experiment has no key of its own: the same name on the same goal from the same day
    # is the same one.
    "experiments": (
        "SELECT id, name, goal, start, days, stopped, created_at FROM experiments",
        "id",
        "INSERT INTO experiments (name, goal, start, days, stopped, created_at)"
        " SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE NOT EXISTS"
        " (SELECT 1 FROM experiments WHERE name = ?1 AND goal = ?2 AND start = ?3)",
    ),
}


class CopyStore(Connected):
    def count_rows(self, table: str) -> int:
        return int(self._one(f"SELECT COUNT(*) FROM {_known(table)}")[0])

    def export_rows(self, table: str, after: int = 0) -> tuple[list[tuple[Any, ...]], int | None]:
        select, key, _ = _SQL[_known(table)]
        return export_page(self._rows, select, key, after, "?")

    def import_rows(self, table: str, rows: Sequence[Sequence[Any]]) -> int:
        if not rows:
            return 0
        if table == "cursors":  # one machine's, whichever they were
            rows = [row[1:] for row in rows]
        elif table == "moments":  # which machine made each: one here
            rows = [row[:-1] for row in rows]
        with self.transaction() as db:
            return db.executemany(_SQL[_known(table)][2], rows).rowcount


def _known(table: str) -> str:
    if table not in _SQL:
        raise ValueError(f"{table!r} is not a table a ledger copies")
    return table
