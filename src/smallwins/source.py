"""Configured sources: a detector instance with its options, and the moments its wins make."""

from __future__ import annotations

import difflib
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from smallwins import message
from smallwins.config import Config, SourceSettings
from smallwins.detector import Detector
from smallwins.errors import ConfigError
from smallwins.ledger import StoredWin
from smallwins.moment import Moment
from smallwins.plugins import Plugins

# A burst keeps growing while wins keep coming, but is told within this many windows.
BURST_CAP_WINDOWS = 5


@dataclass(slots=True)
class Source:
    name: str
    detector: Detector
    settings: SourceSettings

    @property
    def detector_name(self) -> str:
        return self.detector.name

    def watch_paths(self) -> list[Path]:
        try:
            return [Path(p) for p in self.detector.watch_paths()]
        except Exception:  # a detector bug must not stop the watcher; the scan reports it
            return []


def build_sources(config: Config, plugins: Plugins) -> list[Source]:
    """An instance per enabled ``[sources.NAME]``, options validated by the detector's model."""
    sources = []
    for name, settings in config.settings.sources.items():
        if not settings.enabled:
            continue
        detector_cls = plugins.detectors.get(settings.detector)
        if detector_cls is None:
            known = ", ".join(sorted(plugins.detectors)) or "none are loaded"
            raise config.error(
                ("sources", name, "detector"),
                f"no detector {settings.detector!r} (known: {known}); "
                "`smallwins plugins` lists the installed ones",
            )
        try:
            options = detector_cls.Options(**settings.options())
        except ValidationError as exc:
            # A typo also makes the intended key "missing": name the typo first.
            errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
            error = errors[0]
            loc = ("sources", name, *[str(p) for p in error["loc"]])
            if error["type"] == "extra_forbidden":
                fields = sorted(detector_cls.Options.model_fields)
                close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                known = ", ".join(fields) or "none"
                text = f"unknown key for the {settings.detector} detector; {hint}it knows: {known}"
            elif error["type"] == "missing":
                text = f"the {settings.detector} detector needs this key"
            else:
                text = str(error["msg"]).removeprefix("Value error, ")
            raise config.error(loc, text) from None
        try:
            detector = detector_cls(name, options)
        except Exception as exc:  # a plugin's constructor is plugin code: report, don't crash
            raise ConfigError(f"{config.path}: [sources.{name}]: {exc}") from None
        sources.append(Source(name, detector, settings))
    return sources


def moments_for_wins(
    db: sqlite3.Connection,
    source: Source,
    new: list[StoredWin],
    *,
    first_scan: bool,
    history_keys: set[str],
    now: datetime,
    coalesce: timedelta,
) -> list[Moment]:
    """What a scan's new wins are worth telling (DESIGN section 7, rules 1 to 3 and 9).

    History (a first scan or a backfill) becomes at most one summary; each live win becomes a
    celebration that waits ``coalesce`` for others of the same source, so a burst is one
    message. Runs inside the ledger's transaction, so the moments commit with the wins.
    """
    if not new:
        return []
    detector = source.detector
    history = new if first_scan else [w for w in new if w.key in history_keys]
    live = [] if first_scan else [w for w in new if w.key not in history_keys]
    moments: list[Moment] = []
    if history:
        moments.append(_summary(source, history, backfill=not first_scan, now=now))
    if live:
        group = f"burst:{source.name}"
        due = _burst_due(db, group, now, coalesce)
        for win in live:
            today = db.execute(
                "SELECT COUNT(*) FROM wins WHERE source = ? AND day = ? AND ts <= ?",
                (source.name, win.day.isoformat(), win.occurred_at.timestamp()),
            ).fetchone()[0]
            payload: dict[str, Any] = {
                "source": source.name,
                "place": source.name if source.settings.private else _place(detector, win),
                "title": win.title,
                "noun": detector.noun,
                "plural": detector.plural_noun(),
                "today": today,
                "private": source.settings.private,
            }
            title, body = message.celebration(payload)
            moments.append(
                Moment(
                    kind="celebration",
                    dedupe_key=f"win:{source.name}:{win.key}",
                    title=title,
                    message=body,
                    at=now,
                    due_at=due,
                    source=source.name,
                    group=group,
                    payload=payload,
                )
            )
    return moments


def _place(detector: Detector, win: StoredWin) -> str:
    place = win.details.get("place") if isinstance(win.details, dict) else None
    return str(place) if place else detector.source


def _burst_due(db: sqlite3.Connection, group: str, now: datetime, window: timedelta) -> datetime:
    """The due time shared by a burst: a window after the latest win, capped after the first."""
    row = db.execute(
        "SELECT MIN(m.created_at) FROM moments m JOIN outbox o ON o.moment_id = m.id"
        " WHERE m.grp = ? AND o.status = 'pending' AND o.attempts = 0",
        (group,),
    ).fetchone()
    due = now + window
    if row[0] is not None:
        first = datetime.fromtimestamp(row[0], now.tzinfo)
        due = min(due, first + window * BURST_CAP_WINDOWS)
        db.execute(
            "UPDATE moments SET due_at = ? WHERE grp = ? AND id IN"
            " (SELECT moment_id FROM outbox WHERE status = 'pending' AND attempts = 0)",
            (due.timestamp(), group),
        )
    return due


def _summary(source: Source, wins: list[StoredWin], *, backfill: bool, now: datetime) -> Moment:
    detector = source.detector
    days: list[date] = [w.day for w in wins]
    first_day = min(days) if days else None
    title, body = message.summary(
        label=detector.describe(),
        count=len(wins),
        noun=detector.noun,
        plural=detector.plural_noun(),
        first_day=first_day,
        best_run=message.longest_run(days),
        backfill=backfill,
    )
    key = f"summary:{source.name}" if not backfill else f"backfill:{source.name}:{wins[0].key}"
    return Moment(
        kind="summary",
        dedupe_key=key,
        title=title,
        message=body,
        at=now,
        due_at=now,
        source=source.name,
        payload={"count": len(wins), "source": source.name},
    )


def configured_sources(config: Config, plugins: Plugins, cwd: Path) -> list[Source]:
    """The config's sources; with no config file, the defaults for ``cwd``."""
    return build_sources(config, plugins) if config.exists else default_sources(plugins, cwd)


def default_sources(plugins: Plugins, cwd: Path) -> list[Source]:
    """With no config file: the git repository we were started in, if any, for its own
    ``user.email``. Empty when there is no repository or no git detector."""
    from smallwins.starter import repository_root

    root = repository_root(cwd)
    detector_cls = plugins.detectors.get("git")
    if root is None or detector_cls is None:
        return []
    settings = SourceSettings(detector="git")
    options = detector_cls.Options(repos=[str(root)])  # type: ignore[call-arg]
    return [Source("here", detector_cls("here", options), settings)]
