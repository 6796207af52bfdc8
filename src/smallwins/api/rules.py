"""The rule contract: what a plugin implements to decide what is worth telling.

Rules do not send or store anything. Each event method returns ``Tell``s; the coach renders
their words from templates, dedupes them by key, keeps setbacks within their budget, and puts
them in the outbox in the same transaction as the wins that caused them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from smallwins.api.goal import Goal
from smallwins.api.progress import DayClose, Progress, WeekClose

CATEGORIES = ("celebration", "setback", "digest")


@dataclass(frozen=True, slots=True)
class Tell:
    """Something a rule wants told.

    ``kind`` picks the template (``streak``, ``setback``, ... or a plugin's own kind), and
    ``values`` fill it. ``key`` makes it told at most once, ever: put in it what makes this
    moment this moment (the goal, the streak's first day, the mark). ``title``/``body`` are
    used when no template of ``kind`` exists. ``cooldown_days`` holds a moment back (without
    using up its key) when one of the same kind and goal was told within that many days.
    """

    kind: str
    key: str
    values: Mapping[str, Any] = field(default_factory=dict)
    category: str = "celebration"
    title: str = ""
    body: str = ""
    cooldown_days: int = 0


@dataclass(frozen=True, slots=True)
class WinEvent:
    """A live win that counts toward ``goal``: its progress before and after.

    ``usual_value`` is the median of the goal's largest win a day over the 12 weeks before
    (0 without four weeks of them); when the win is at least twice that, ``last_as_large`` is
    the last day before with a win as large, or None when there was none (or it was not looked
    for). ``unit`` is the win's own ("min"), whatever the goal counts."""

    goal: Goal
    source: str
    key: str
    title: str
    value: float
    at: datetime
    day: date
    before: Progress
    after: Progress
    gap_days: int
    first_today: bool
    usual_value: float = 0.0
    last_as_large: date | None = None
    unit: str = ""


@dataclass(frozen=True, slots=True)
class DayEvent:
    """A local day that has ended, for one goal."""

    goal: Goal
    close: DayClose
    progress: Progress
    now: datetime


@dataclass(frozen=True, slots=True)
class WeekEvent:
    """A week (Monday to Sunday) that has ended, for one goal."""

    goal: Goal
    close: WeekClose
    progress: Progress
    now: datetime


@dataclass(frozen=True, slots=True)
class SourceWords:
    """How a source is named in messages: its ``label`` ("Sits", or what the config says) and
    what one of its wins is called ("session", "sessions"), whatever the source is called."""

    noun: str = "win"
    plural: str = "wins"
    label: str = ""


@dataclass(frozen=True, slots=True)
class DigestEvent:
    """Time for the daily (or, on Sundays, weekly) digest. ``sources`` names the sources of
    ``wins`` in words (a source missing from it is named by its wins' kind); ``news`` is what
    the day held that no celebration said (a goal met for the first time, ...), in sentences."""

    day: date
    weekly: bool
    goals: tuple[Progress, ...]
    wins: tuple[tuple[str, str, str, float], ...]
    notes: tuple[str, ...]
    now: datetime
    sources: Mapping[str, SourceWords] = field(default_factory=dict)
    news: tuple[str, ...] = ()


class Rule:
    """Decides what is worth telling. Override the events you need; each returns Tells."""

    name: ClassVar[str]

    def on_win(self, event: WinEvent) -> Iterable[Tell]:
        return ()

    def on_day_end(self, event: DayEvent) -> Iterable[Tell]:
        return ()

    def on_week_end(self, event: WeekEvent) -> Iterable[Tell]:
        return ()

    def on_digest(self, event: DigestEvent) -> Iterable[Tell]:
        return ()
