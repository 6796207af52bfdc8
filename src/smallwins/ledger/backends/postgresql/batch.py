"""A scan's wins inserted into PostgreSQL a few thousand rows a statement."""

from __future__ import annotations

import time
from typing import Any

import psycopg

from smallwins.ledger.backends.sqlite.batch import SqliteBatch
from smallwins.ledger.records import StoredWin

CHUNK = 5000  # rows a statement: each column goes as one array, so a statement stays small

# The rows' values as SqliteBatch makes them, one array per column; ``day`` is ISO text.
_INSERT = (
    "INSERT INTO wins (source, key, detector, kind, title, occurred_at, ts, day, value, unit,"
    " tags, details, recorded_at)"
    " SELECT r.source, r.key, r.detector, r.kind, r.title, r.occurred_at, r.ts, r.day::date,"
    " r.value, r.unit, r.tags, r.details, %s"
    " FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[],"
    " %b::float8[], %b::text[], %b::float8[], %b::text[], %b::text[], %b::text[])"
    " WITH ORDINALITY AS r (source, key, detector, kind, title, occurred_at, ts, day, value,"
    " unit, tags, details, n)"
    " ORDER BY r.n"
    " ON CONFLICT (source, key) DO NOTHING RETURNING id, key"
)


class PostgresBatch(SqliteBatch):
    """The wins of one scan, made into rows as they are added (the same rows the SQLite
    ledger stores: only the statement that inserts them differs).

    ``ON CONFLICT DO NOTHING`` leaves out the keys the source recorded before, including
    those another daemon recorded a moment ago: whichever commits first keeps the win."""

    def insert_into(self, db: psycopg.Connection[Any]) -> list[StoredWin]:
        """Insert the wins whose key the source has not recorded; returns them as stored."""
        recorded_at = time.time()
        ids: dict[str, int] = {}
        for start in range(0, len(self._rows), CHUNK):
            rows = self._rows[start : start + CHUNK]
            columns = [list(column) for column in zip(*rows, strict=True)]
            for number, key in db.execute(_INSERT, (recorded_at, *columns)).fetchall():
                ids[key] = number
        stored = [win for win in self._stored if win.key in ids]
        for win in stored:
            win.id = ids[win.key]
        return stored
