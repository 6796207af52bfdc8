"""File watching. Changes are hints that a scan may find something, never the truth: the
daemon reconciles by scanning from the cursors anyway.

On Linux the kernel's inotify is read straight from its descriptor on the asyncio loop, so an
idle daemon costs nothing; elsewhere (or if inotify cannot be used) watchfiles does the work.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("smallwins.watcher")

# watchfiles yields a batch once no new change came for STEP ms; DEBOUNCE caps a batch.
STEP_MS = 50
DEBOUNCE_MS = 400
BACKENDS = ("auto", "inotify", "watchfiles")


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
        self._inotify: Any = None

    def start(self) -> None:
        if self.backend in ("auto", "inotify") and sys.platform.startswith("linux"):
            try:
                self._start_inotify()
                return
            except OSError as exc:
                log.warning("inotify cannot be used (%s); watching with watchfiles", exc)
                if self._inotify is not None:
                    self._inotify.close()
                    self._inotify = None
        self.backend = "watchfiles"
        loop = asyncio.get_running_loop()
        if self.plan:
            self._tasks.append(loop.create_task(self._watch(list(self.plan), recursive=True)))
        if self.config_file.parent.is_dir():
            self._tasks.append(
                loop.create_task(self._watch([self.config_file.parent], recursive=False))
            )

    def _start_inotify(self) -> None:
        from smallwins.daemon.inotify import Inotify

        inotify = Inotify(
            self._on_change,
            lambda: self._on_error(OSError("inotify queue overflow")),
            keep=self._keep_path,
            descend=lambda folder: bool(self._is_relevant(folder)),
        )
        self._inotify = inotify
        for root in self.plan:
            if root.is_dir():
                inotify.add(root, recursive=True)
            elif root.parent.is_dir():
                inotify.add(root.parent, recursive=False)
        if self.config_file.parent.is_dir():
            inotify.add(self.config_file.parent, recursive=False)
        inotify.start()
        self.backend = "inotify"

    async def stop(self) -> None:
        self._stop.set()
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def _keep_path(self, path: Path) -> bool:
        return path == self.config_file or bool(self._is_relevant(path))

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
