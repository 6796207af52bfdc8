"""One connection to the server shared by the daemon's threads, and its transactions."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from smallwins.errors import ConfigError
from smallwins.ledger.backends.postgresql.address import Address
from smallwins.ledger.url import LedgerUnreachable
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
# pg_try_advisory_lock's first key, "sw" in ASCII; the second is the machine id's hash.
MACHINE_LOCK = 0x7377


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
# The same on the server's side: a connection of a machine cut off is ended by the server
# within about a minute, and with it the machine's lock, so that the machine gets back in.
_SERVER_SILENCE = (
    "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"
    " -c tcp_user_timeout=30000"
)
# A server that is away is asked again at most this often (seconds): each call in between
# fails at once rather than waiting on the network with the lock held.
RETRY_SECONDS = 2.0
# SQLSTATE classes that say the connection is lost: connection exceptions (08), and the
# server shutting down, crashing or starting up (57P).
_LOST_STATES = ("08", "57P")


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
    elif "options=" not in address.conninfo:
        options["options"] = _SERVER_SILENCE
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


# A change that adds more wins than this is noted by its source alone: whoever catches up on
# it counts the source's goals again, as it would after a first scan of its own.
LISTED_WINS = 1000


class Connected:
    """The connection and the lock every store shares: reads and writes take the lock,
    which is reentrant, so the coach's reads inside a write run on the writer's transaction.

    A connection the server dropped (stopped, crashed, cut off) makes the call fail with
    LedgerUnreachable, its transaction rolled back by the server; the next call outside a
    transaction connects again (and this machine takes its lock again)."""

    address: Address
    _conn: psycopg.Connection[Any]
    _lock: threading.RLock
    _readonly = False
    _machine = ""  # "" until a machine joins (a command that only reads, the contract suite)
    _retry_at = 0.0  # time.monotonic() before which a lost server is not asked again
    _away = ""  # why the last connection failed
    _depth = 0  # transactions open on the connection: 1 in one, 0 outside

    @property
    def _db(self) -> psycopg.Connection[Any]:
        """The connection, made again if the server dropped it (outside a transaction: one
        that was under way is lost, and its caller hears so)."""
        if self._conn.closed:
            if self._depth:
                raise LedgerUnreachable(self._away)
            self._reconnect()
        return self._conn

    def _reconnect(self) -> None:
        if time.monotonic() < self._retry_at:
            raise LedgerUnreachable(self._away)
        try:
            conn = connect(self.address, readonly=self._readonly)
            if self._machine and not take_machine_lock(conn, self._machine):
                conn.close()
                raise LedgerUnreachable(
                    f"the ledger {self.address.location} still holds this machine's last"
                    " connection; the server ends it within a minute"
                )
        except LedgerUnreachable as exc:
            self._away = str(exc)
            self._retry_at = time.monotonic() + RETRY_SECONDS
            raise
        self._conn = conn

    def _lost(self, exc: BaseException) -> bool:
        """Whether ``exc`` says the server went away; the connection is then closed, so
        that the next call connects again."""
        if not isinstance(exc, psycopg.Error):
            return False
        state = getattr(exc, "sqlstate", None) or ""
        if not (self._conn.closed or self._conn.broken or state.startswith(_LOST_STATES)):
            return False
        self._conn.close()
        self._away = f"the ledger {self.address.location} went away: {_reason(exc)}"
        return True

    @contextmanager
    def _server(self) -> Iterator[psycopg.Connection[Any]]:
        """The connection, under the lock; an error that says the server went away raised
        as LedgerUnreachable."""
        with self._lock:
            try:
                yield self._db
            except psycopg.Error as exc:
                if self._lost(exc):
                    raise LedgerUnreachable(self._away) from exc
                raise

    def _note_change(
        self, db: psycopg.Connection[Any], source: str, wins: Sequence[int], *, redraw: bool
    ) -> None:
        """Note a change to ``source``'s wins for the other machines' coaches (``news_since``),
        under the recording lock: the notes' order is the order of their commits."""
        listed = not redraw and len(wins) <= LISTED_WINS
        # One statement: the lock is taken (by the function in FROM) before the row is made.
        db.execute(
            "INSERT INTO changes (machine, source, wins, redraw)"
            " SELECT %s, %s, %s::bigint[], %s FROM pg_advisory_xact_lock(%s)",
            (self._machine, source, list(wins) if listed else [], not listed, RECORD_LOCK),
        )

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._server() as db:
            return db.execute(sql, params).fetchall()

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

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """One write transaction; rolled back on any error. Inside one already, it joins it.

        At read committed whatever the server's default: each statement after the recording
        lock must see the wins other machines committed while this one waited for it."""
        with self._begun("BEGIN ISOLATION LEVEL READ COMMITTED") as db:
            yield db

    @contextmanager
    def _begun(self, begin: str) -> Iterator[psycopg.Connection[Any]]:
        """A transaction begun by ``begin``, or the one under way."""
        with self._lock:
            if self._depth:
                yield self._db
                return
            with self._server() as db:
                db.execute(begin)
                self._depth += 1
                try:
                    yield db
                except BaseException:
                    if not db.closed:
                        db.execute("ROLLBACK")
                    raise
                finally:
                    self._depth -= 1
                db.execute("COMMIT")


def take_machine_lock(conn: psycopg.Connection[Any], machine: str) -> bool:
    """Take the session lock named by ``machine``: False when another connection has it."""
    (got,) = conn.execute(
        "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (MACHINE_LOCK, machine)
    ).fetchall()[0]
    return bool(got)
