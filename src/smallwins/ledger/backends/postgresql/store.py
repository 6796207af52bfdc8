"""The ledger on a PostgreSQL server: one connection, writers serialised on a lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import time as dtime
from typing import TypeVar
from zoneinfo import ZoneInfo

import psycopg

from smallwins.api.detector import RestDay
from smallwins.api.moment import Moment
from smallwins.api.win import Win
from smallwins.ledger.backends.postgresql.address import Address
from smallwins.ledger.backends.postgresql.batch import PostgresBatch
from smallwins.ledger.backends.postgresql.connection import RECORD_LOCK, connect
from smallwins.ledger.backends.postgresql.copying import CopyStore
from smallwins.ledger.backends.postgresql.experiments import ExperimentStore
from smallwins.ledger.backends.postgresql.machines import MachineStore
from smallwins.ledger.backends.postgresql.outbox import MomentStore
from smallwins.ledger.backends.postgresql.schema import MIGRATIONS, migrate, version
from smallwins.ledger.backends.postgresql.wins import WinStore
from smallwins.ledger.protocol import LedgerView
from smallwins.ledger.records import StoredWin
from smallwins.ledger.url import LedgerNotFound, LedgerUnreachable

T = TypeVar("T")


def _no_targets(_moment: Moment) -> Sequence[str]:
    return ()


class PostgresLedger(WinStore, MomentStore, ExperimentStore, MachineStore, CopyStore):
    """The ledger in one PostgreSQL database. Safe to share between threads.

    The coach's view inside a write is the ledger itself: its reads take the same reentrant
    lock and run on the writer's transaction, so they see the wins being recorded. Several
    daemons may share the database: a win's ``(source, key)`` and a moment's dedupe key are
    unique, and a second insert of either does nothing.
    """

    def __init__(self, address: Address, *, readonly: bool = False) -> None:
        self.address = address
        self._lock = threading.RLock()
        self._readonly = readonly
        if readonly:
            self._conn = connect(address, readonly=True)
            found = version(self._conn)
            if found is None:
                self._conn.close()
                raise LedgerNotFound(
                    f"no ledger at {address.location} yet: nothing has been recorded"
                )
            if found < len(MIGRATIONS):
                # An older ledger is brought up to date once, so that readers (wins, status,
                # stats) need not know old schemas.
                PostgresLedger(address).close()
            return
        self._conn = connect(address, readonly=False)
        with self.transaction() as db:
            migrate(db)

    @property
    def location(self) -> str:
        return self.address.location

    @property
    def schema_version(self) -> int:
        with self._server() as db:
            return version(db) or 0

    def close(self) -> None:
        with self._lock:
            try:
                self.resign()
            except (psycopg.Error, LedgerUnreachable):
                pass  # the server is away: the lease runs out by itself
            finally:
                self._conn.close()

    def __enter__(self) -> PostgresLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, fn: Callable[[LedgerView], T]) -> T:
        """``fn``'s reads see one snapshot: a repeatable-read transaction of their own (or
        the write they are called in)."""
        with self._begun("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"):
            return fn(self)

    def batch(
        self, source: str, detector: str, *, zone: ZoneInfo, day_starts_at: dtime
    ) -> PostgresBatch:
        return PostgresBatch(source, detector, zone=zone, day_starts_at=day_starts_at)

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
        if not (
            isinstance(wins, PostgresBatch) and wins.fits(source, detector, zone, day_starts_at)
        ):
            batch = self.batch(source, detector, zone=zone, day_starts_at=day_starts_at)
            for win in wins:
                batch.add(win)
            wins = batch
        with self.transaction() as db:
            new = wins.insert_into(db)
            if save_cursor:
                self._save_cursor(db, source, detector, cursor)
            redraw = rest_days is not None and self._replace_rest_days(db, source, rest_days)
            # The recording lock is taken once the rows are written, so the other machines
            # wait only while the coach works; each statement after it sees what they
            # recorded before.
            if new or redraw:
                self._note_change(db, source, [win.id for win in new], redraw=redraw)
            elif moments_for is not None:
                db.execute("SELECT pg_advisory_xact_lock(%s)", (RECORD_LOCK,))
            if moments_for is not None:
                made = moments_for(self, new)
                self._insert_moments(db, [(m, targets_for(m)) for m in made])
        return new

    def tell(
        self,
        make: Callable[[LedgerView], list[Moment]],
        targets_for: Callable[[Moment], Sequence[str]],
    ) -> list[Moment]:
        with self.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (RECORD_LOCK,))
            return self._insert_moments(db, [(m, targets_for(m)) for m in make(self)])
