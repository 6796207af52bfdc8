"""One SQLite connection shared by the daemon's threads, and its transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def marks(values: Sequence[Any]) -> str:
    """As many ``?`` as values, for ``IN (...)``."""
    return ",".join("?" * len(values))


class Connected:
    """The connection and the lock every store shares: reads and writes take the lock,
    which is reentrant, so the coach's reads inside a write run on the writer's transaction."""

    _db: sqlite3.Connection
    _lock: threading.RLock

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with BEGIN IMMEDIATE; rolled back on any error.
        Inside one already, it joins it."""
        with self._lock:
            if self._db.in_transaction:
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
