"""When the ledger cannot be written (a full disk, a server that went away), said once and
kept outside the ledger.

Recording the error in the ledger would fail the same way, so the state lives in a small file
in the state folder, written best-effort, where ``status`` finds it.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smallwins.ledger.url import LedgerUnreachable

log = logging.getLogger("smallwins.ledger")

# SQLite's primary result codes for a write the disk refused.
_SQLITE_FULL, _SQLITE_IOERR = 13, 10
_OS_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def cannot_write(exc: BaseException) -> bool:
    """Whether ``exc`` says the ledger's storage refuses writes (full, or failing)."""
    if isinstance(exc, sqlite3.OperationalError):
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        return code in (_SQLITE_FULL, _SQLITE_IOERR) or "disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in _OS_FULL


def read_outage(path: Path) -> dict[str, Any] | None:
    """The outage a daemon noted (``since``, ``error``, ``ledger``), or None."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


class LedgerOutage:
    """A daemon's view of whether its ledger can be written; thread-safe."""

    def __init__(
        self,
        path: Path,
        ledger: str,
        *,
        started: Callable[[str, str], None] | None = None,
    ) -> None:
        """``started(title, body)`` is called once per outage, to tell a person."""
        self.path = path
        self.ledger = ledger
        self._started = started
        self._lock = threading.Lock()
        self.since: datetime | None = None
        self.away = False  # the outage is a server that cannot be reached, not a full disk

    @property
    def active(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> bool:
        """Note ``exc`` if it is a write the storage refused, or a server that cannot be
        reached: True, and the first of an outage is said (a warning, the file,
        ``started``). False for any other error."""
        away = isinstance(exc, LedgerUnreachable)
        if not (away or cannot_write(exc)):
            return False
        with self._lock:
            if self.since is not None:
                return True
            self.since = datetime.now(UTC).replace(microsecond=0)
            self.away = away
        error = (str(exc) or type(exc).__name__).rstrip(".")
        self._write({"since": self.since.isoformat(), "error": error, "ledger": self.ledger})
        if away:
            self._away(error)
            return True
        log.warning(
            "the ledger %s cannot be written since %s: %s. Nothing is lost: what could not be "
            "recorded is recorded when it can, and messages wait; free some space",
            self.ledger,
            self.since.isoformat(),
            error,
        )
        if self._started is not None:
            self._started(
                "smallwins cannot write its ledger",
                f"Since {self.since:%H:%M} UTC: {error}. Nothing is lost; free some space "
                f"on the disk that holds {self.ledger}.",
            )
        return True

    def _away(self, error: str) -> None:
        assert self.since is not None
        log.warning(
            "the ledger cannot be reached since %s: %s. Nothing is lost: what could not be "
            "recorded is recorded when the server answers again, and messages wait",
            self.since.isoformat(),
            error,
        )
        if self._started is not None:
            self._started(
                "smallwins cannot reach its ledger",
                f"Since {self.since:%H:%M} UTC: {error}. Nothing is lost; what happens is "
                "recorded when the server answers again.",
            )

    def recovered(self) -> bool:
        """A write went through: the outage is over. True when there was one."""
        with self._lock:
            since, self.since = self.since, None
        if since is None:
            if self.path.exists():  # left by a daemon that stopped during an outage
                self._remove()
            return False
        log.info(
            "the ledger %s %s again (it could not since %s)",
            self.ledger,
            "answers" if self.away else "can be written",
            since.isoformat(),
        )
        self._remove()
        return True

    def _write(self, state: dict[str, str]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(state, out)
        except OSError as exc:  # the state folder may be on the same full disk
            log.debug("could not note the ledger's outage in %s: %r", self.path, exc)

    def _remove(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            log.debug("could not remove %s: %r", self.path, exc)
