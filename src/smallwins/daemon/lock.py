"""Kernel locks (``flock``, released when the process dies): one daemon per state directory,
and one daemon per ledger file, whichever home it was started with."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import IO

from smallwins.errors import AlreadyRunning
from smallwins.paths import open_private


class DaemonLock:
    """An exclusive ``flock`` on ``state/daemon.lock``; the file holds the holder's pid and
    the home it was started with."""

    def __init__(self, path: Path, home: str = "") -> None:
        self.path = path
        self.home = home
        self._file: IO[str] | None = None

    def busy(self, pid: int | None, home: str | None) -> str:
        """What to tell a person when another daemon (``pid``, started in ``home``) holds it."""
        holder = f" (pid {pid})" if pid else ""
        return (
            f"another smallwins daemon{holder} is running with the state folder "
            f"{self.path.parent}; stop it first, or set SMALLWINS_HOME to use another"
        )

    def acquire(self, wait: float = 0.5) -> None:
        """Take the lock or raise AlreadyRunning naming the holder.

        ``status`` briefly takes a shared lock to ask whether a daemon runs, so a failed
        attempt is retried for ``wait`` seconds before giving up.
        """
        fd = open_private(self.path, os.O_RDWR | os.O_APPEND)
        handle = open(fd, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process's life
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    pid, home = read_holder(self.path)
                    handle.close()
                    raise AlreadyRunning(self.busy(pid, home)) from None
                time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n{self.home}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class LedgerLock(DaemonLock):
    """An exclusive ``flock`` on ``<ledger>.lock`` beside a ledger file: two daemons with
    different homes but one ledger would each scan and tell every win. The database itself is
    not locked, so ``wins`` and ``status`` read it while the daemon runs."""

    def __init__(self, path: Path, ledger: str, home: str = "") -> None:
        super().__init__(path, home)
        self.ledger = ledger

    def busy(self, pid: int | None, home: str | None) -> str:
        holder = ", ".join(
            part for part in (f"pid {pid}" if pid else "", f"home {home}" if home else "") if part
        )
        return (
            f"another smallwins daemon{f' ({holder})' if holder else ''} records into the "
            f"ledger {self.ledger}; stop it first, or give this home its own [ledger] url"
        )


def read_holder(path: Path) -> tuple[int | None, str | None]:
    """The pid and home written in a lock file, each None when unknown."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None, None
    pid = lines[0].strip() if lines else ""
    home = lines[1].strip() if len(lines) > 1 else ""
    return (int(pid) if pid.isdigit() else None), (home or None)


def read_pid(path: Path) -> int | None:
    return read_holder(path)[0]


def running_pid(path: Path) -> int | None:
    """The pid of the daemon holding the lock, or None when no daemon runs."""
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return read_pid(path) or -1
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None
