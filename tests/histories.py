"""Building coach histories for tests: a real ledger, a coach, and a simulated clock.

``Sim`` records wins the way the daemon does (``Ledger.record`` with the coach's ``on_scan``
inside the transaction), ticks the coach's clock at each ``next_clock`` like ``_clock_loop``,
and can restart the coach mid-history (a new Coach ``load``ed from the same ledger).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from smallwins.api.detector import Detector, DetectorOptions, RestDay
from smallwins.api.goal import Goal
from smallwins.api.moment import Moment
from smallwins.api.rules import Rule
from smallwins.api.win import Win
from smallwins.api.wording import Templates
from smallwins.coach.celebration import ScanInfo
from smallwins.coach.coach import Coach
from smallwins.coach.pipeline import Pipeline
from smallwins.config import QuietHours, SourceSettings
from smallwins.ledger import MEMORY_URL, Ledger, open_ledger, sqlite_url
from smallwins.plugins.loader import Plugins, load_plugins
from smallwins.plugins.source import Source, default_label

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

STREAK_MARKS = (3, 7, 14, 30, 50, 100, 200, 365)
TOTAL_MARKS = (1, 10, 25, 50, 100, 250, 500, 1000)


@functools.cache
def builtin() -> Plugins:
    """The built-in coaching plugin, loaded once: its rules and templates."""
    plugins = load_plugins(None, load_env="coaching")
    assert not plugins.failures, plugins.failures
    return plugins


def quiet(spec: str) -> QuietHours:
    start, end = spec.split("-")
    return QuietHours(start=time.fromisoformat(start), end=time.fromisoformat(end))


def coach_for(
    goals: Sequence[Goal],
    *,
    zone: ZoneInfo = BERLIN,
    day_starts_at: time = time(4),
    quiet_hours: QuietHours | None = None,
    digest: str = "daily",
    digest_at: time = time(20, 30),
    rules: Sequence[tuple[str, Rule]] | None = None,
    templates: Templates | None = None,
) -> Coach:
    return Coach(
        goals,
        builtin().rules if rules is None else rules,
        builtin().templates if templates is None else templates,
        zone=zone,
        day_starts_at=day_starts_at,
        quiet_hours=quiet_hours,
        digest=digest,
        digest_at=digest_at,
    )


# Later than any simulated clock: every pending row is due.
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)


def targets_for(moment: Moment) -> list[str]:
    return ["t"] if moment.deliver else []


@dataclass
class SourceInfo:
    noun: str = "win"
    plural: str = "wins"
    private: bool = False


class Sim:
    """A ledger, a coach and a clock that only moves forward."""

    def __init__(
        self,
        ledger: Ledger,
        make_coach: Callable[[], Coach],
        start: datetime,
        sources: dict[str, SourceInfo] | None = None,
    ) -> None:
        self.ledger = ledger
        self.make_coach = make_coach
        self.sources = sources or {}
        self.clock = start
        self.coach = make_coach()
        self.ledger.read(lambda view: self.coach.load(view, start))
        self.scans: dict[str, int] = {}
        self._n = 0

    @classmethod
    def at(
        cls,
        path: Path | None,
        start: datetime,
        make_coach: Callable[[], Coach],
        sources: dict[str, SourceInfo] | None = None,
    ) -> Sim:
        ledger = open_ledger(sqlite_url(path / "ledger.sqlite3") if path else MEMORY_URL)
        return cls(ledger, make_coach, start, sources)

    # -- the clock ------------------------------------------------------------------------

    def tick(self, at: datetime) -> list[Moment]:
        told = Pipeline(self.ledger, self.coach, targets_for).tick(at)
        self.deliver()
        return told

    def deliver(self) -> None:
        """Mark everything in the outbox sent, as a daemon with a working target would."""
        pending = [row.outbox_id for row in self.ledger.due(FOREVER, ["t"])]
        if pending:
            self.ledger.mark_sent(pending, "t")

    def advance(self, to: datetime) -> list[Moment]:
        """Tick the clock at every ``next_clock`` up to ``to`` (as the daemon's clock loop)."""
        told: list[Moment] = []
        while (tick := self.coach.schedule.next_clock(self.clock)) <= to:
            told += self.tick(tick)
            self.clock = tick
        self.clock = max(self.clock, to)
        return told

    def finish(self) -> None:
        """Run the clock past the end of the current local day."""
        self.advance(
            self.coach.schedule.day_end(self.coach.schedule.today(self.clock))
            + timedelta(seconds=1)
        )

    def restart(self, now: datetime | None = None) -> None:
        """A new coach loaded from the ledger, as the daemon does at start or on SIGHUP."""
        self.clock = max(self.clock, now or self.clock)
        self.coach = self.make_coach()
        clock = self.clock
        self.ledger.read(lambda view: self.coach.load(view, clock))

    # -- wins -----------------------------------------------------------------------------

    def win(
        self,
        source: str,
        at: datetime,
        value: float = 1.0,
        *,
        key: str | None = None,
        title: str | None = None,
        kind: str = "win",
        tags: tuple[str, ...] = (),
        now: datetime | None = None,
    ) -> list[Moment]:
        """One live win, recorded at ``now`` (default: when it happened)."""
        self._n += 1
        key = key or f"{source}-{self._n}"
        win = Win(
            key=key,
            title=title if title is not None else f"{source} win {self._n}",
            occurred_at=at,
            kind=kind,
            value=value,
            tags=tags,
        )
        return self.scan(source, [win], now=now or at)

    def scan(
        self,
        source: str,
        wins: Sequence[Win],
        *,
        now: datetime | None = None,
        first_scan: bool = False,
        rest_days: Sequence[RestDay] | None = None,
    ) -> list[Moment]:
        """One scan of ``source`` at ``now``: records the wins, returns the moments it made."""
        now = now or self.clock
        told = self.advance(now)
        info = self.sources.get(source, SourceInfo())
        scan = ScanInfo(
            name=source,
            label=source,
            noun=info.noun,
            plural=info.plural,
            private=info.private,
            first_scan=first_scan,
            history_keys=frozenset(w.key for w in wins if w.history),
            places={},
            rest_days_changed=rest_days is not None,
            display=default_label(source),  # as the daemon names a source: by its label
        )
        coach = self.coach
        now = now.astimezone(UTC)  # as the daemon's clock gives it
        # What this scan makes is made at ``now``: the moments since then that exist already
        # are not its own.
        before = max((m.id or 0 for m in self.ledger.moments(since=now)), default=0)
        Pipeline(self.ledger, coach, targets_for).record_wins(
            scan, "test", wins, now=now, rest_days=rest_days
        )
        self.deliver()
        self.scans[source] = self.scans.get(source, 0) + 1
        return told + [m for m in self.ledger.moments(since=now) if (m.id or 0) > before]

    # -- reading --------------------------------------------------------------------------

    def moments(self, kind: str | None = None) -> list[Moment]:
        return [m for m in self.ledger.moments() if kind is None or m.kind == kind]

    def told(self, kind: str | None = None) -> list[Moment]:
        """What was (or will be) sent: moments with outbox rows."""
        return [m for m in self.moments(kind) if self.outbox_count(m)]

    def keys(self, prefix: str) -> list[str]:
        return [m.dedupe_key for m in self.moments() if m.dedupe_key.startswith(prefix)]

    def outbox_count(self, moment: Moment) -> int:
        return len(self.ledger.outbox_targets(moment.id or 0))


def local(day: date, hour: int = 12, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def day_goal(name: str = "code", source: str = "code", **kw: Any) -> Goal:
    return Goal(name=name, sources=(source,), **kw)


# -- an oracle: what a history implies -------------------------------------------------------


def streak_marks(length: int) -> set[int]:
    marks = {m for m in STREAK_MARKS if m <= length}
    return marks | set(range(730, length + 1, 365))


def total_marks(total: float) -> set[int]:
    marks = {m for m in TOTAL_MARKS if m <= total}
    return marks | set(range(2000, int(total) + 1, 1000))


def expected_streaks(
    days: dict[date, float], rest: set[date], target: float, grace: int, last: date
) -> dict[date, int]:
    """Each streak of a per-day goal by its first day, and the longest length it reached:
    counted independently of the Tracker, from the rules of the issue."""
    if not days:
        return {}
    streaks: dict[date, int] = {}
    day = min(days)
    streak, start, grace_left = 0, day, grace
    while day <= last:
        if day.weekday() == 0:
            grace_left = grace
        value = days.get(day, 0.0)
        if value >= target:
            if streak == 0:
                start = day
            streak += 1
            streaks[start] = streak
        elif day in rest:  # a rest day is never a miss, whatever was done on it
            pass
        elif streak and grace_left:
            grace_left -= 1
        else:
            streak = 0
        day += timedelta(days=1)
    return streaks


class _Fake(Detector):
    name = "fake"


def source(name: str, info: SourceInfo | None = None) -> Source:
    """A configured source of a detector that never scans: for replays and build_coach."""
    info = info or SourceInfo()
    detector_cls = type(
        f"Fake_{name}", (_Fake,), {"noun": info.noun, "plural": info.plural, "name": "fake"}
    )
    return Source(
        name,
        detector_cls(name, DetectorOptions()),
        SourceSettings(detector="fake", private=info.private),
    )
