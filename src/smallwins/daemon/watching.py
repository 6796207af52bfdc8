"""Watching the sources' paths, and reconciling: the watcher's changes are hints that a source
may have news; every few minutes, and after a watcher error, every source is scanned anyway."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from smallwins.daemon.watcher import Watcher
from smallwins.plugins.source import Source

if TYPE_CHECKING:
    from smallwins.daemon.daemon import Daemon

log = logging.getLogger("smallwins.daemon")


class Watching:
    """The daemon's file watcher, rebuilt when the paths to watch change."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.watcher: Watcher | None = None

    async def stop(self) -> None:
        if self.watcher is not None:
            await self.watcher.stop()

    def _watch_plan(self) -> dict[Path, list[str]]:
        plan: dict[Path, list[str]] = {}
        for source in self.daemon.sources.values():
            for path in source.watch_paths():
                if path.exists():
                    plan.setdefault(path.resolve(), []).append(source.name)
        return plan

    def _relevant(self, path: Path) -> list[str]:
        names = []
        for root, sources in (self.watcher.plan if self.watcher else {}).items():
            if path == root or root in path.parents:
                for name in sources:
                    source = self.daemon.sources.get(name)
                    if source is not None and _relevant(source, path):
                        names.append(name)
        return names

    def _on_change(self, paths: set[Path]) -> None:
        if self.daemon.paths.config_file.resolve() in paths:
            self.daemon.spawn(self.daemon.reload("the config file changed"))
        names = {name for path in paths for name in self._relevant(path)}
        for name in sorted(names):
            self.daemon.spawn(self.daemon.scanner.scan(name))

    async def restart(self) -> None:
        plan = self._watch_plan()
        if self.watcher is not None and self.watcher.plan == plan:
            return
        if self.watcher is not None:
            await self.watcher.stop()
        self.watcher = Watcher(
            plan,
            self.daemon.paths.config_file,
            self._on_change,
            self._on_watch_error,
            is_relevant=self._relevant,
            backend=self.daemon.config.settings.watcher,
        )
        self.watcher.start()
        log.debug("watching %d paths with %s", len(plan), self.watcher.backend)

    def _on_watch_error(self, error: BaseException) -> None:
        log.warning("the file watcher stopped (%s); reconciling and restarting it", error)
        self.daemon.spawn(self.reconcile())

    async def reconcile(self) -> None:
        await self.daemon.scanner.scan_all()
        await self.restart()

    async def reconcile_loop(self) -> None:
        interval = self.daemon.config.settings.reconcile_minutes * 60
        while not await self.daemon.rest(interval):
            try:
                await self.reconcile()
            except Exception as exc:  # the next round tries again
                log.error("reconcile failed: %r", exc)


def _relevant(source: Source, path: Path) -> bool:
    try:
        return bool(source.detector.is_relevant(path))
    except Exception:  # a plugin bug here should not silence its source: scan to find out
        return True
