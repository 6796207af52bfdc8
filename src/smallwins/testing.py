"""Helpers for testing detectors: a temporary ledger, a scan context, one scan at a time.

from smallwins.testing import Harness, scan_once

result = scan_once(ReadingLog, {"path": str(log_file)})
assert [w.title for w in result.wins] == ["Dune"]

with Harness(tmp_path) as harness:
    harness.add_source("reading", ReadingLog, {"path": str(log_file)})
    assert len(harness.scan("reading")) == 1
    assert harness.scan("reading") == []          # scanning twice adds nothing
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from smallwins.api.detector import Detector, RestDay, ScanContext
from smallwins.api.moment import Moment
from smallwins.coach.coach import Coach, build_goals
from smallwins.coach.pipeline import Pipeline
from smallwins.config import Settings, SourceSettings
from smallwins.ledger import Ledger, StoredWin, open_ledger, sqlite_url
from smallwins.plugins.loader import Plugins, load_plugins
from smallwins.plugins.scan import ScanResult, run_scan
from smallwins.plugins.source import Source

__all__ = ["Harness", "ScanResult", "make_context", "scan_once"]


def make_context(
    source: str = "test",
    cursor: Any = None,
    *,
    timezone: str = "UTC",
    day_starts_at: time = time(4, 0),
) -> ScanContext:
    """A ScanContext as the daemon builds it."""
    return ScanContext(
        source=source, cursor=cursor, timezone=ZoneInfo(timezone), day_starts_at=day_starts_at
    )


def scan_once(
    detector_cls: type[Detector],
    options: dict[str, Any],
    *,
    cursor: Any = None,
    source: str = "test",
    timezone: str = "UTC",
) -> ScanResult:
    """Validate ``options`` with the detector's model, run one scan, return what it found.

    Only valid wins are in ``result.wins``; invalid ones are described in ``result.junk``.
    Pass ``result.cursor`` back as ``cursor`` to scan again from where this one ended.
    """
    detector = detector_cls(source, detector_cls.Options(**options))
    return run_scan(detector, make_context(source, cursor, timezone=timezone))


class Harness:
    """A real ledger in a temporary folder, with sources scanned the way the daemon does."""

    def __init__(
        self,
        folder: Path | None = None,
        *,
        timezone: str = "UTC",
        day_starts_at: time = time(4),
        plugins: Plugins | None = None,
    ) -> None:
        """``plugins`` give the rules and the wordings; by default the built-in coaching
        plugin, loaded through the real loader, so the kit tells what the daemon would."""
        self.plugins = plugins if plugins is not None else load_plugins(None, load_env="coaching")
        self._tmp = None if folder is not None else tempfile.TemporaryDirectory()
        root = Path(folder) if folder is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self.ledger: Ledger = open_ledger(sqlite_url(root / "ledger.sqlite3"))
        self.zone = ZoneInfo(timezone)
        self.day_starts_at = day_starts_at
        self.sources: dict[str, Source] = {}
        self._pipe: Pipeline | None = None

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.ledger.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def add_source(
        self,
        name: str,
        detector_cls: type[Detector],
        options: dict[str, Any],
        *,
        private: bool = False,
    ) -> Source:
        detector = detector_cls(name, detector_cls.Options(**options))
        settings = SourceSettings(detector=detector_cls.name, private=private)
        self.sources[name] = Source(name, detector, settings)
        return self.sources[name]

    def scan(self, name: str, *, now: datetime | None = None) -> list[StoredWin]:
        """Scan a source from its stored cursor and record what it found; returns new wins."""
        result, new = self._pipeline().scan(self.sources[name], now=now or datetime.now(UTC))
        self.last_result = result
        return new

    def _pipeline(self) -> Pipeline:
        """The daemon's pipeline, with a win-a-day goal per source."""
        goals = build_goals(Settings(), list(self.sources.values()))
        if self._pipe is None or self._pipe.coach.goals != goals:
            coach = Coach(
                goals,
                self.plugins.rules,
                self.plugins.templates,
                zone=self.zone,
                day_starts_at=self.day_starts_at,
            )
            self._pipe = Pipeline(self.ledger, coach, lambda m: ["test"] if m.deliver else [])
            self._pipe.load(datetime.now(UTC))
        return self._pipe

    def wins(self, source: str | None = None) -> list[StoredWin]:
        return self.ledger.wins(sources=None if source is None else [source])

    def rest_days(self, source: str | None = None) -> list[RestDay]:
        return [
            rest for _, rest in self.ledger.rest_days(sources=None if source is None else [source])
        ]

    def moments(self) -> list[Moment]:
        """Every moment recorded so far: what would have been told."""
        return self.ledger.moments()
