"""Writing to the journal: a line appended under a lock, as ``done`` and the inbox do."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def locked(path: Path) -> Iterator[int]:
    """The journal open for appending, locked against another done, undo or inbox win."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)


def append(path: Path, line: str) -> None:
    """Add ``line`` at the end of the journal, on a line of its own even when the last line
    (written in an editor) has no newline."""
    with locked(path) as fd:
        end = os.lseek(fd, 0, os.SEEK_END)
        starts_line = end == 0 or os.pread(fd, 1, end - 1) == b"\n"
        os.write(fd, (("" if starts_line else "\n") + line + "\n").encode("utf-8"))
