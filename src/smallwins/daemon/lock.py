"""One daemon per state directory, held with a kernel lock (released when the process dies)."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import IO

from smallwins.errors import AlreadyRunning


class DaemonLock:
    """An exclusive ``flock`` on ``state/daemon.lock``; the file holds the holder's pid."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self, wait: float = 0.5) -> None:
        """Take the lock or raise AlreadyRunning naming the holder's pid.

        ``status`` briefly takes a shared lock to ask whether a daemon runs, so a failed
        attempt is retried for ``wait`` seconds before giving up.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process's life
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    pid = read_pid(self.path)
                    handle.close()
                    holder = f" (pid {pid})" if pid else ""
                    raise AlreadyRunning(
                        f"another smallwins daemon{holder} is running with the state folder "
                        f"{self.path.parent}; stop it first, or set SMALLWINS_HOME to use another"
                    ) from None
                time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


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
