"""File watching. Changes are hints that a scan may find something, never the truth: the
daemon reconciles by scanning from the cursors anyway.

On Linux the kernel's inotify is read through asyncinotify on the asyncio loop, so an idle
daemon costs nothing: nothing wakes until the kernel has an event, where watchfiles wakes many
times a second (see docs/performance.md). Elsewhere, or if inotify cannot be used (the limit
on watches is reached), watchfiles does the work.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asyncinotify import Event, Inotify

log = logging.getLogger("smallwins.watcher")

# watchfiles yields a batch once no new change came for STEP ms; DEBOUNCE caps a batch.
STEP_MS = 50
DEBOUNCE_MS = 400
BACKENDS = ("auto", "inotify", "watchfiles")
# inotify events that come together (a commit writes a ref, two logs and the index) are handed
# on as one batch once this many seconds pass without another...
SETTLE = 0.015
# ...or at once, when the batch holds a file renamed into place: the last step of an atomic
# write, which is how git moves a ref (main.lock -> main, after its logs) and how editors and
# apps save. The batch still takes in every event of the kernel's read it came in.
SETTLE_RENAMED = 0.0


class Watcher:
    """Watches the sources' paths (recursively) and the config file's folder (not).

    ``is_relevant`` says which sources care about a path; it filters events and, for
    folders, decides whether to watch below them. (watchfiles' default filter would drop
    everything under ``.git``, where git keeps the refs a commit changes.)
    """

    def __init__(
        self,
        plan: dict[Path, list[str]],
        config_file: Path,
        on_change: Callable[[set[Path]], None],
        on_error: Callable[[BaseException], None],
        *,
        is_relevant: Callable[[Path], list[str]],
        backend: str = "auto",
    ) -> None:
        self.plan = plan
        self.config_file = config_file.expanduser().resolve()
        self.backend = backend
        self._on_change = on_change
        self._on_error = on_error
        self._is_relevant = is_relevant
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._inotify: Inotify | None = None
        self._recursive: set[int] = set()  # inotify watches whose new folders are followed
        self._pending: set[Path] = set()
        self._renamed = False  # the pending batch holds a kept path renamed into place
        self._flush: asyncio.TimerHandle | None = None

    def start(self) -> None:
        if self.backend in ("auto", "inotify") and sys.platform.startswith("linux"):
            try:
                self._start_inotify()
                return
            except (ImportError, OSError) as exc:
                log.warning("inotify cannot be used (%s); watching with watchfiles", exc)
                self._close_inotify()
        self._start_watchfiles()

    def _start_watchfiles(self) -> None:
        self.backend = "watchfiles"
        loop = asyncio.get_running_loop()
        if self.plan:
            self._tasks.append(loop.create_task(self._watch(list(self.plan), recursive=True)))
        if self.config_file.parent.is_dir():
            self._tasks.append(
                loop.create_task(self._watch([self.config_file.parent], recursive=False))
            )

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._close_inotify()

    def _keep_path(self, path: Path) -> bool:
        return path == self.config_file or bool(self._is_relevant(path))

    # -- inotify (Linux) ---------------------------------------------------------------------

    def _start_inotify(self) -> None:
        from asyncinotify import InitFlags, Inotify

        # asyncinotify 4.4's InitFlags.NONBLOCK is O_CLOEXEC's value, so ask for O_NONBLOCK.
        self._inotify = Inotify(InitFlags.CLOEXEC | InitFlags(os.O_NONBLOCK))
        for root in self.plan:
            if root.is_dir():
                self._add(root, recursive=True)
            elif root.parent.is_dir():
                self._add(root.parent, recursive=False)
        if self.config_file.parent.is_dir():
            self._add(self.config_file.parent, recursive=False)
        task = asyncio.get_running_loop().create_task(self._read_inotify(self._inotify))
        self._tasks.append(task)
        self.backend = "inotify"

    def _add(self, directory: Path, *, recursive: bool) -> None:
        """Watch ``directory`` and, if recursive, every folder below it that is relevant."""
        self._add_one(directory, recursive)
        if recursive:
            for root, dirs, _files in os.walk(directory):
                kept = []
                for name in dirs:
                    child = Path(root) / name
                    if self._is_relevant(child):
                        self._add_one(child, True)
                        kept.append(name)
                dirs[:] = kept

    def _add_one(self, directory: Path, recursive: bool) -> None:
        from asyncinotify import Mask

        assert self._inotify is not None
        mask = (
            Mask.MODIFY
            | Mask.ATTRIB
            | Mask.CLOSE_WRITE
            | Mask.MOVED_FROM
            | Mask.MOVED_TO
            | Mask.CREATE
            | Mask.DELETE
            | Mask.DELETE_SELF
            | Mask.MOVE_SELF
            | Mask.ONLYDIR
        )
        try:
            watch = self._inotify.add_watch(directory, mask)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EACCES):
                return  # gone or unreadable: the next reconcile scan notices
            code = exc.errno or 0
            hint = " (raise fs.inotify.max_user_watches)" if code == errno.ENOSPC else ""
            raise OSError(code, f"cannot watch {directory}: {os.strerror(code)}{hint}") from exc
        if recursive:
            self._recursive.add(watch.wd)

    async def _read_inotify(self, inotify: Inotify) -> None:
        try:
            async for event in inotify:
                self._on_inotify(event)
        except OSError as exc:  # a new folder could not be watched: the limit on watches
            log.warning("inotify cannot be used (%s); watching with watchfiles", exc)
            self._close_inotify()
            self._start_watchfiles()
            self._on_error(exc)  # a reconcile catches what was missed meanwhile

    def _on_inotify(self, event: Event) -> None:
        from asyncinotify import Mask

        mask = event.mask
        if Mask.Q_OVERFLOW in mask:
            self._on_error(OSError("inotify queue overflow"))
            return
        watch, path = event.watch, event.path
        if watch is None or path is None:
            return
        if Mask.IGNORED in mask:  # the folder is gone, and asyncinotify has dropped its watch
            self._recursive.discard(watch.wd)
            return
        new_folder = Mask.ISDIR in mask and (Mask.CREATE in mask or Mask.MOVED_TO in mask)
        if new_folder and watch.wd in self._recursive and self._is_relevant(path):
            self._add(path, recursive=True)
        if self._keep_path(path):
            self._pending.add(path)
            self._renamed = self._renamed or Mask.MOVED_TO in mask
            if self._flush is not None:
                self._flush.cancel()
            # asyncinotify hands on the events of one read without yielding to the loop, so
            # even a batch handed on "at once" holds all that the kernel had queued.
            settle = SETTLE_RENAMED if self._renamed else SETTLE
            self._flush = asyncio.get_running_loop().call_later(settle, self._deliver)

    def _deliver(self) -> None:
        self._flush = None
        self._renamed = False
        batch, self._pending = self._pending, set()
        if batch:
            self._on_change(batch)

    def _close_inotify(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None
        self._recursive.clear()
        self._pending.clear()

    # -- watchfiles (elsewhere, or as the fallback) ------------------------------------------

    def _keep(self, _change: Any, path: str) -> bool:
        return self._keep_path(Path(path))

    async def _watch(self, paths: list[Path], *, recursive: bool) -> None:
        from watchfiles import awatch

        try:
            async for changes in awatch(
                *paths,
                watch_filter=self._keep,
                step=STEP_MS,
                debounce=DEBOUNCE_MS,
                stop_event=self._stop,
                recursive=recursive,
                ignore_permission_denied=True,
            ):
                self._on_change({Path(path) for _, path in changes})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the watcher is a hint: report and let a reconcile recover
            if not self._stop.is_set():
                self._on_error(exc)
