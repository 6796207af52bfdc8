"""The SQLite ledger: one file, WAL, ``synchronous=FULL``, writers serialised on a lock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import time as dtime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from smallwins.api.detector import RestDay
from smallwins.api.moment import Moment
from smallwins.api.win import Win
from smallwins.ledger.backends.sqlite.batch import SqliteBatch
from smallwins.ledger.backends.sqlite.copying import CopyStore
from smallwins.ledger.backends.sqlite.experiments import ExperimentStore
from smallwins.ledger.backends.sqlite.machines import MachineStore
from smallwins.ledger.backends.sqlite.outbox import MomentStore
from smallwins.ledger.backends.sqlite.schema import migrate, outdated
from smallwins.ledger.backends.sqlite.wins import WinStore
from smallwins.ledger.protocol import LedgerView
from smallwins.ledger.records import StoredWin
from smallwins.paths import create_private

T = TypeVar("T")

MEMORY = ":memory:"
BULK_ROWS = 10_000  # from here on, a write gets a page cache of its own size (_room_for)


def _no_targets(_moment: Moment) -> Sequence[str]:
    return ()


class SqliteLedger(WinStore, MomentStore, ExperimentStore, MachineStore, CopyStore):
    """The ledger in one SQLite file (or in memory). Safe to share between threads.

    The coach's view inside a write is the ledger itself: its reads take the same reentrant
    lock and run on the writer's transaction, so they see the wins being recorded.
    """

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = Path(path)
        memory = str(path) == MEMORY
        if readonly and not memory:
            # A ledger from an older version is brought up to date once, so that readers
            # (wins, status, stats) need not know old schemas.
            if outdated(self.path):
                SqliteLedger(self.path).close()
            uri = f"file:{self.path}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            if not memory:
                # SQLite gives its -wal and -shm files the mode of the database file.
                create_private(self.path)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.isolation_level = None  # transactions are explicit: BEGIN IMMEDIATE
        self._lock = threading.RLock()
        self._db.execute("PRAGMA busy_timeout = 30000")
        if not readonly or memory:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            with self.transaction() as db:
                migrate(db)

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def schema_version(self) -> int:
        return int(self._one("PRAGMA user_version")[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SqliteLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, fn: Callable[[LedgerView], T]) -> T:
        with self._lock:
            return fn(self)

    @contextmanager
    def _room_for(self, rows: int) -> Iterator[None]:
        """A page cache that holds a long history's new pages until the commit.

        SQLite's default cache is 2 MiB; the rows and index entries of a first scan of
        100,000 commits take some 55 MiB, and a cache that overflows writes pages to the WAL
        before the commit, some of them again and again. About 1 KiB a row, for the write
        only: the cache then goes back to its size."""
        if rows < BULK_ROWS:
            yield
            return
        with self._lock:
            (size,) = self._db.execute("PRAGMA cache_size").fetchone()
            self._db.execute(f"PRAGMA cache_size = -{rows}")
            try:
                yield
            finally:
                self._db.execute(f"PRAGMA cache_size = {int(size)}")

    def batch(
        self, source: str, detector: str, *, zone: ZoneInfo, day_starts_at: dtime
    ) -> SqliteBatch:
        return SqliteBatch(source, detector, zone=zone, day_starts_at=day_starts_at)

    def record(
        self,
        source: str,
        detector: str,
        wins: Iterable[Win],
        cursor: object,
        *,
        zone: ZoneInfo,
        day_starts_at: dtime,
        moments_for: Callable[[LedgerView, list[StoredWin]], list[Moment]] | None = None,
        targets_for: Callable[[Moment], Sequence[str]] = _no_targets,
        save_cursor: bool = True,
        rest_days: Sequence[RestDay] | None = None,
    ) -> list[StoredWin]:
        if not (isinstance(wins, SqliteBatch) and wins.fits(source, detector, zone, day_starts_at)):
            batch = self.batch(source, detector, zone=zone, day_starts_at=day_starts_at)
            for win in wins:
                batch.add(win)
            wins = batch
        with self._room_for(len(wins)), self.transaction() as db:
            new = wins.insert(db)
            if save_cursor:
                self._save_cursor(db, source, detector, cursor)
            if rest_days is not None:
                self._replace_rest_days(db, source, rest_days)
            if moments_for is not None:
                for moment in moments_for(self, new):
                    self._insert_moment(db, moment, targets_for(moment))
        return new

    def tell(
        self,
        make: Callable[[LedgerView], list[Moment]],
        targets_for: Callable[[Moment], Sequence[str]],
    ) -> list[Moment]:
        with self.transaction() as db:
            return [m for m in make(self) if self._insert_moment(db, m, targets_for(m))]
