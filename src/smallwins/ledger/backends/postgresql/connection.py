"""One connection to the server shared by the daemon's threads, and its transactions."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import pq

from smallwins.errors import ConfigError, SmallwinsError
from smallwins.ledger.backends.postgresql.address import Address
from smallwins.redact import REDACTOR

# What the server says when the URL (or the password) is wrong rather than the server away.
_REFUSED = re.compile(
    r"password authentication failed|no password supplied|does not exist"
    r"|authentication failed|pg_hba\.conf|permission denied",
    re.IGNORECASE,
)


# The server's clock, the one every machine shares, in seconds since the epoch.
NOW = "EXTRACT(EPOCH FROM clock_timestamp())"
# The lease is this machine's and has not run out. In a claim it locks the lease row, so a
# machine taking the lead over waits until the claim is done.
LEADING = f"SELECT 1 FROM lease WHERE name = 'lead' AND machine = %s AND expires_at > {NOW}"
# pg_advisory_xact_lock's key for writes whose moments the coach works out from what the
# ledger holds: machines record one at a time, so each sees the wins the others recorded.
RECORD_LOCK = 0x736D616C6C77696F


# A server that goes silent without closing the connection is noticed within about a minute
# rather than hours: a query then fails instead of waiting for good. (The lead's lease has run
# out by then, and another machine leads.) A URL's own values for these win.
_SILENCE = (
    ("keepalives", 1),
    ("keepalives_idle", 10),
    ("keepalives_interval", 5),
    ("keepalives_count", 3),
    ("tcp_user_timeout", 30_000),
)


class LedgerUnreachable(SmallwinsError):
    """The ledger's server did not answer: it may be down, or the host or port is wrong."""


def _reason(exc: BaseException) -> str:
    """libpq's message in one line: its last FATAL (or the whole, when there is none)."""
    text = " ".join(str(exc).split())
    return text.rsplit("FATAL:", 1)[-1].strip() or type(exc).__name__


def connect(address: Address, *, readonly: bool) -> psycopg.Connection[Any]:
    """A connection in autocommit (transactions are explicit); a wrong URL or password is a
    ConfigError (exit 78), a server that does not answer LedgerUnreachable."""
    password = address.password()
    if password:
        REDACTOR.add(password)
    options: dict[str, Any] = {"application_name": "smallwins"}
    if password is not None:
        options["password"] = password
    if readonly:
        options["options"] = "-c default_transaction_read_only=on"
    for key, value in _SILENCE:
        if f"{key}=" not in address.conninfo:
            options[key] = value
    try:
        return psycopg.connect(address.conninfo, autocommit=True, connect_timeout=10, **options)
    except psycopg.OperationalError as exc:
        reason = _reason(exc)
        if _REFUSED.search(reason):
            raise ConfigError(
                f"the ledger {address.location} refused the connection: {reason}. Check the "
                "user and database in [ledger] url, and the password (PGPASSWORD, ~/.pgpass "
                "or ?password_file=)"
            ) from None
        raise LedgerUnreachable(
            f"the ledger {address.location} cannot be reached: {reason}"
        ) from None
    except psycopg.ProgrammingError as exc:  # libpq refused the URL itself
        raise ConfigError(f"the ledger {address.location}: {_reason(exc)}") from None


class Connected:
    """The connection and the lock every store shares: reads and writes take the lock,
    which is reentrant, so the coach's reads inside a write run on the writer's transaction."""

    _db: psycopg.Connection[Any]
    _lock: threading.RLock
    _machine = ""  # "" until a machine joins (a command that only reads, the contract suite)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _leads(self) -> bool:
        """Whether this machine holds the lead now."""
        return bool(self._machine) and self._one(LEADING, (self._machine,)) is not None

    def _told_here(self, shared: Sequence[str]) -> tuple[str, list[Any]]:
        """A condition on outbox rows ``o`` of moments ``m``: those this machine tells. The
        rows of ``shared`` targets while it leads; the others' of moments it made (or made
        by no machine, while it leads). A ledger no machine joined tells every row."""
        if not self._machine:
            return "", []
        leading = self._leads()
        return (
            " AND CASE WHEN o.target = ANY(%s::text[]) THEN %s"
            " ELSE (m.machine = %s OR (m.machine IS NULL AND %s)) END",
            [list(shared), leading, self._machine, leading],
        )

    def _in_transaction(self) -> bool:
        return self._db.info.transaction_status != pq.TransactionStatus.IDLE

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """One write transaction; rolled back on any error. Inside one already, it joins it."""
        with self._lock:
            if self._in_transaction():
                yield self._db
                return
            self._db.execute("BEGIN")
            try:
                yield self._db
            except BaseException:
                if not self._db.closed:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
