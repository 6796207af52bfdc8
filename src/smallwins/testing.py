"""The testing kit for plugins: detectors, rules and wordings, run the way the daemon runs them.

from smallwins.testing import Harness, scan_once

result = scan_once(ReadingLog, {"path": str(log_file)})
assert [w.title for w in result.wins] == ["Dune"]

with Harness(tmp_path) as harness:
    harness.add_source("reading", ReadingLog, {"path": str(log_file)})
    assert len(harness.scan("reading")) == 1
    assert harness.scan("reading") == []          # scanning twice adds nothing

A rule or a wording is tested the same way: ``Harness(plugins=load("coaching", "mine"))``,
``harness.record("sits", [Win(...)])`` for wins a scan would have found, ``harness.advance()``
to move the clock past day ends and digests, and ``harness.moments()`` for what was told.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from smallwins.api.detector import Detector, RestDay, ScanContext
from smallwins.api.goal import Goal
from smallwins.api.moment import Moment
from smallwins.api.win import Win
from smallwins.coach.celebration import ScanInfo
from smallwins.coach.coach import build_coach
from smallwins.coach.pipeline import Pipeline
from smallwins.config import Settings, SourceSettings
from smallwins.ledger import Ledger, StoredWin, open_ledger, sqlite_url
from smallwins.plugins.loader import Plugins, load_plugins
from smallwins.plugins.scan import ScanResult, run_scan
from smallwins.plugins.source import Source

__all__ = [
    "Harness",
    "ScanResult",
    "load",
    "make_context",
    "run_cli",
    "run_scan",
    "scan_once",
]


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


def load(*names: str, plugins_dir: Path | None = None) -> Plugins:
    """Plugins through the real loader: the installed ones named (``"coaching"``, your
    package's entry-point name) and every file in ``plugins_dir``."""
    return load_plugins(plugins_dir, load_env=",".join(names), trace=False)


def run_cli(
    *args: str, home: Path, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``smallwins ARGS`` as a user would, in its own process, with ``SMALLWINS_HOME``
    at ``home`` (its ``config.toml``, its ledger); commands that plugins add work too."""
    environment = {**os.environ, "SMALLWINS_HOME": str(home), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "smallwins", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Harness:
    """A real ledger in a temporary folder, with sources scanned, wins recorded and the clock
    moved the way the daemon does it."""

    def __init__(
        self,
        folder: Path | None = None,
        *,
        timezone: str = "UTC",
        day_starts_at: time = time(4),
        plugins: Plugins | None = None,
        config: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> None:
        """``plugins`` give the rules and the wordings: by default the built-in coaching
        plugin, through the real loader. ``config`` is what a ``config.toml`` would hold
        (``goals``, ``templates``, ``digest``, ``notify.quiet_hours``...), as a dict. ``now``
        starts a clock the test moves (``advance``); without it, the real time."""
        self.plugins = plugins if plugins is not None else load("coaching")
        self.settings = Settings.model_validate(
            {"timezone": timezone, "day_starts_at": day_starts_at, **(config or {})}
        )
        self._tmp = None if folder is not None else tempfile.TemporaryDirectory()
        root = Path(folder) if folder is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self.ledger: Ledger = open_ledger(sqlite_url(root / "ledger.sqlite3"))
        self.zone = ZoneInfo(timezone)
        self.day_starts_at = day_starts_at
        self.now = now
        self.sources: dict[str, Source] = {}
        self._recorded: list[str] = []
        self._pipe: Pipeline | None = None

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.ledger.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    # -- sources, wins and the clock -------------------------------------------------------

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
        result, new = self._pipeline().scan(self.sources[name], now=now or self.clock())
        self.last_result = result
        return new

    def record(
        self, source: str, wins: Sequence[Win], *, now: datetime | None = None
    ) -> list[StoredWin]:
        """Record ``wins`` as a scan of ``source`` that found them would: celebrated (unless
        marked ``history``), with what the rules tell of them. No detector needed: this is
        how a rule or a wording is tested. Returns the wins that were new."""
        known = self.sources.get(source)
        if known is None and source not in self._recorded:
            self._recorded.append(source)
        if known is not None:
            scan = ScanInfo.of(known, wins, first_scan=False)
        else:
            keys = frozenset(w.key for w in wins if w.history)
            scan = ScanInfo(source, source, "win", "wins", False, False, keys, {})
        detector = known.detector_name if known is not None else "test"
        return self._pipeline().record_wins(scan, detector, wins, now=now or self.clock())

    def clock(self) -> datetime:
        """The harness's time: ``now`` as the test set it, else the real time."""
        return self.now or datetime.now(UTC)

    def advance(self, to: datetime | timedelta) -> list[Moment]:
        """Move the clock to ``to`` (or by it), telling what the daemon's clock would on the
        way: the ends of days and weeks, digests. Returns what was told."""
        target = self.clock() + to if isinstance(to, timedelta) else to
        pipeline = self._pipeline()
        told: list[Moment] = []
        moment = self.clock()
        while (tick := pipeline.coach.schedule.next_clock(moment)) <= target:
            told += pipeline.tick(tick)
            moment = tick
        self.now = target
        return told

    # -- what was told ---------------------------------------------------------------------

    def wins(self, source: str | None = None) -> list[StoredWin]:
        return self.ledger.wins(sources=None if source is None else [source])

    def rest_days(self, source: str | None = None) -> list[RestDay]:
        only = None if source is None else [source]
        return [rest for _, rest in self.ledger.rest_days(sources=only)]

    def moments(self, kind: str | None = None) -> list[Moment]:
        """Every moment recorded so far (of ``kind``): what would have been told."""
        return [m for m in self.ledger.moments() if kind is None or m.kind == kind]

    def words(self, kind: str, values: Mapping[str, Any], key: str = "test") -> tuple[str, str]:
        """The title and body the coach would use for a moment of ``kind`` with ``values``:
        the config's ``templates`` over the plugins'. Raises KeyError when none fits."""
        text = self._pipeline().coach.templates.render(kind, key, values, avoid=None)
        if text is None:
            raise KeyError(f"no wording of {kind!r} can be filled from {sorted(values)}")
        return text

    def _pipeline(self) -> Pipeline:
        """The daemon's pipeline: the config's goals, else a win-a-day goal per source."""
        sources = list(self.sources.values())
        if self._pipe is None or self._stale(self._pipe, sources):
            coach = build_coach(self.settings, sources, self.plugins.rules, self.plugins.templates)
            if not self.settings.goals:
                coach.goals += [Goal(name, (name,)) for name in self._recorded]
            self._pipe = Pipeline(
                self.ledger,
                coach,
                lambda m: ["test"] if m.deliver else [],
                timedelta(seconds=self.settings.notify.coalesce_seconds),
            )
            self._pipe.load(self.clock())
        return self._pipe

    def _stale(self, pipeline: Pipeline, sources: list[Source]) -> bool:
        """Whether a source came since the coach was built (its goals would miss it)."""
        if self.settings.goals:
            return False
        names = {goal.name for goal in pipeline.coach.goals}
        return any(s.name not in names for s in sources) or any(
            name not in names for name in self._recorded
        )
