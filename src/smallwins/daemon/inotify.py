"""Linux inotify read straight from its file descriptor on the asyncio loop.

An idle daemon then costs no CPU at all: nothing wakes until the kernel has an event, where
a polling watcher wakes many times a second (see docs/performance.md)."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import errno
import logging
import os
import struct
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("smallwins.watcher")

IN_MODIFY = 0x002
IN_ATTRIB = 0x004
IN_CLOSE_WRITE = 0x008
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x01000000
IN_ISDIR = 0x40000000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000

MASK = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
)
EVENT = struct.Struct("iIII")
# Events that come together (a commit writes a ref, two logs and the index) are handed on as
# one batch once this many seconds pass without another.
SETTLE = 0.015


class InotifyError(OSError):
    pass


class Inotify:
    """Watches directories (recursively where asked) and reports changed paths in batches."""

    def __init__(
        self,
        on_change: Callable[[set[Path]], None],
        on_overflow: Callable[[], None],
        keep: Callable[[Path], bool],
        descend: Callable[[Path], bool],
    ) -> None:
        libc_name = ctypes.util.find_library("c")
        self._libc = ctypes.CDLL(libc_name, use_errno=True)
        fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            raise InotifyError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        self.fd = fd
        self._on_change = on_change
        self._on_overflow = on_overflow
        self._keep = keep
        self._descend = descend
        self._dirs: dict[int, tuple[Path, bool]] = {}
        self._pending: set[Path] = set()
        self._flush: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def add(self, directory: Path, *, recursive: bool) -> None:
        """Watch ``directory`` (and, if recursive, every folder below that ``descend`` allows)."""
        self._add_one(directory, recursive)
        if recursive:
            for root, dirs, _files in os.walk(directory):
                kept = []
                for name in dirs:
                    child = Path(root) / name
                    if self._descend(child):
                        self._add_one(child, True)
                        kept.append(name)
                dirs[:] = kept

    def _add_one(self, directory: Path, recursive: bool) -> None:
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(directory), MASK | IN_ONLYDIR)
        if wd < 0:
            code = ctypes.get_errno()
            if code in (errno.ENOENT, errno.ENOTDIR, errno.EACCES):
                return  # gone or unreadable: the next reconcile scan notices
            hint = " (raise fs.inotify.max_user_watches)" if code == errno.ENOSPC else ""
            raise InotifyError(code, f"cannot watch {directory}: {os.strerror(code)}{hint}")
        self._dirs[wd] = (directory, recursive)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.fd, self._read)

    def close(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self.fd)
            self._loop = None
        if self._flush is not None:
            self._flush.cancel()
        os.close(self.fd)

    def _read(self) -> None:
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        offset = 0
        overflow = False
        while offset + EVENT.size <= len(data):
            wd, mask, _cookie, length = EVENT.unpack_from(data, offset)
            raw = data[offset + EVENT.size : offset + EVENT.size + length].rstrip(b"\0")
            offset += EVENT.size + length
            if mask & IN_Q_OVERFLOW:
                overflow = True
                continue
            if mask & IN_IGNORED:
                self._dirs.pop(wd, None)
                continue
            entry = self._dirs.get(wd)
            if entry is None:
                continue
            directory, recursive = entry
            path = directory / os.fsdecode(raw) if raw else directory
            created_dir = mask & IN_ISDIR and mask & (IN_CREATE | IN_MOVED_TO)
            if recursive and created_dir and self._descend(path):
                self.add(path, recursive=True)
            if self._keep(path):
                self._pending.add(path)
        if overflow:
            self._on_overflow()
        if self._pending and self._loop is not None:
            if self._flush is not None:
                self._flush.cancel()
            self._flush = self._loop.call_later(SETTLE, self._deliver)

    def _deliver(self) -> None:
        self._flush = None
        batch, self._pending = self._pending, set()
        if batch:
            self._on_change(batch)
