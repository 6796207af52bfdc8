"""File watching with watchfiles. Changes are hints that a scan may find something, never
the truth: the daemon reconciles by scanning from the cursor anyway."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("smallwins.watcher")

# watchfiles yields a batch once no new change came for STEP ms; DEBOUNCE caps a batch.
STEP_MS = 50
DEBOUNCE_MS = 400


class Watcher:
    """Watches the sources' paths (recursively) and the config file's folder (not).

    watchfiles' default filter drops everything under ``.git``; this one asks each source's
    detector instead, through ``is_relevant``.
    """

    def __init__(
        self,
        plan: dict[Path, list[str]],
        config_file: Path,
        on_change: Callable[[set[Path]], None],
        on_error: Callable[[BaseException], None],
        *,
        is_relevant: Callable[[Path], list[str]],
    ) -> None:
        self.plan = plan
        self.config_file = config_file.expanduser().resolve()
        self._on_change = on_change
        self._on_error = on_error
        self._is_relevant = is_relevant
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
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

    def _keep(self, _change: Any, path: str) -> bool:
        candidate = Path(path)
        if candidate == self.config_file:
            return True
        return bool(self._is_relevant(candidate))

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
