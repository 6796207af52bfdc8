"""Experiments: what a small change did to a goal, against the goal's own weeks before it.

The measure is the goal's daily total (what it counts on each local day; a day without a win
counts 0). The days during the experiment are its window's days that have ended; the days
before it are the ``BASELINE_DAYS`` days before its start, or twice its window when that is
longer, cut at the goal's first win. Rest days are left out of both.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from smallwins.api.goal import Goal
from smallwins.api.moment import Moment
from smallwins.api.progress import Tracker
from smallwins.coach.bootstrap import change_interval
from smallwins.coach.schedule import Schedule
from smallwins.ledger import Experiment, LedgerView
from smallwins.message import number

BASELINE_DAYS = 28
# A change that would take more than this many times the days seen to show is no change.
NIL_DAYS = 9

Window = tuple[date, date]


def baseline(start: date, days: int, first_day: date | None) -> Window | None:
    """The days before an experiment of ``days`` days from ``start``; None when the goal has
    no win before it."""
    if first_day is None or first_day >= start:
        return None
    return max(start - timedelta(days=max(BASELINE_DAYS, 2 * days)), first_day), start - timedelta(
        days=1
    )


def seed_of(experiment: Experiment) -> int:
    """The bootstrap's seed: the same experiment on the same ledger gives the same numbers."""
    text = f"{experiment.goal}\0{experiment.name}\0{experiment.start.isoformat()}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where an experiment stands: its windows, the means, and once it has ended, the
    interval of the change."""

    experiment: Experiment
    goal: Goal | None
    before: Window | None
    during: Window
    days_before: int
    days_during: int
    mean_before: float | None
    mean_during: float | None
    ended: bool
    interval: tuple[float, float] | None

    @property
    def change(self) -> float | None:
        if self.mean_before is None or self.mean_during is None or not self.mean_before:
            return None
        return self.mean_during / self.mean_before - 1

    @property
    def clear(self) -> bool:
        """Whether the interval leaves out no change at all."""
        return self.interval is not None and (self.interval[0] > 0 or self.interval[1] < 0)

    def more_days(self) -> int | None:
        """About how many more days would make the interval leave out 0, at the change seen
        so far: the interval narrows as the square root of the days. None when the interval
        already does, or when the change is too small for the days to show (it would take
        more than ``NIL_DAYS`` times the days seen): then there is no difference to see."""
        change = self.change
        if self.interval is None or change is None or self.clear or round(change * 100) == 0:
            return None
        half = (self.interval[1] - self.interval[0]) / 2
        needed = self.days_during * (half / abs(change)) ** 2
        if needed > NIL_DAYS * self.days_during:
            return None
        return max(1, math.ceil(needed - self.days_during))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.experiment.name,
            "goal": self.experiment.goal,
            "before": _window_json(self.before),
            "during": _window_json(self.during),
            "days_before": self.days_before,
            "days_during": self.days_during,
            "mean_before": _rounded(self.mean_before),
            "mean_during": _rounded(self.mean_during),
            "change": _rounded(self.change),
            "interval": [round(x, 4) for x in self.interval] if self.interval else None,
            "ended": self.ended,
            "sentence": self.sentence(),
        }

    def sentence(self) -> str:
        """What it did, in words: "Commits per day: 3.1 during 'sit before coffee' against
        2.4 before (+29%, 95% interval +8% to +52%, 14 days against 28)"."""
        name = self.experiment.name
        if self.goal is None:
            return f"'{name}': its goal {self.experiment.goal!r} is not in the config"
        if self.mean_before is None:
            return f"'{name}': no days before it to compare against"
        if self.mean_during is None:
            return f"'{name}': none of its days has ended yet"
        what = f"{_per_day(self.goal, self.experiment.goal)}: {number(self.mean_during)} during "
        what += f"'{name}' against {number(self.mean_before)} before"
        days = f"{self.days_during} days against {self.days_before}"
        change = self.change
        if change is None:
            return f"{what} ({days})"
        if not self.ended:
            return f"{what} ({_percent(change)} so far, {days})"
        if self.clear and self.interval:
            low, high = self.interval
            interval = f"95% interval {_percent(low)} to {_percent(high)}"
            return f"{what} ({_percent(change)}, {interval}, {days})"
        more = self.more_days()
        if more is None:
            return f"{what} ({days}): no difference to see so far"
        return f"{what} ({_percent(change)}, {days}): too few days to say; {more} more would"


def outcome(
    experiment: Experiment, goal: Goal | None, tracker: Tracker | None, today: date
) -> Outcome:
    """Where ``experiment`` stands on ``today``, from its goal's tracker: only days that
    have ended count."""
    during: Window = (experiment.start, experiment.last_day)
    if goal is None or tracker is None:
        return Outcome(experiment, None, None, during, 0, 0, None, None, False, None)
    before = baseline(experiment.start, experiment.days, tracker.first_day)
    days_before = _days(tracker, before) if before else []
    last = min(experiment.last_day, today - timedelta(days=1))
    days_during = _days(tracker, (experiment.start, last))
    ended = experiment.last_day < today
    interval = None
    if ended:
        interval = change_interval(days_before, days_during, seed_of(experiment))
    return Outcome(
        experiment,
        goal,
        before,
        during,
        len(days_before),
        len(days_during),
        _mean(days_before),
        _mean(days_during),
        ended,
        interval,
    )


def outcomes(
    view: LedgerView,
    goals: Sequence[Goal],
    trackers: Mapping[str, Tracker],
    today: date,
    *,
    goal: str | None = None,
) -> list[Outcome]:
    """Every experiment (on ``goal``, or on any) and where it stands on ``today``, from the
    goals' trackers (the coach's, loaded)."""
    by_name = {g.name: g for g in goals}
    return [
        outcome(e, by_name.get(e.goal), trackers.get(e.goal), today) for e in view.experiments(goal)
    ]


def ended_moments(
    view: LedgerView,
    goals: Sequence[Goal],
    trackers: Mapping[str, Tracker],
    schedule: Schedule,
    now: datetime,
) -> list[Moment]:
    """Each experiment whose last day has ended, told once, with the morning as other
    moments that no live win caused. One on a goal no longer configured waits for it."""
    today = schedule.today(now)
    by_name = {g.name: g for g in goals}
    moments = []
    for experiment in view.experiments():
        goal, tracker = by_name.get(experiment.goal), trackers.get(experiment.goal)
        key = dedupe_key(experiment)
        if experiment.last_day >= today or goal is None or tracker is None:
            continue
        if view.moment_told(key):
            continue
        found = outcome(experiment, goal, tracker, today)
        moments.append(
            Moment(
                kind="experiment",
                dedupe_key=key,
                title=_title(experiment.name),
                message=found.sentence(),
                at=now,
                due_at=schedule.told_at(now),
                category="digest",
                goal=goal.name,
                payload=found.to_json(),
            )
        )
    return moments


def dedupe_key(experiment: Experiment) -> str:
    return f"experiment:{experiment.goal}:{experiment.id}:{experiment.start.isoformat()}"


def _title(name: str) -> str:
    title = f"'{name}' has ended"
    return title if len(title) <= 40 else f"'{name[:24]}…' has ended"


def _days(tracker: Tracker, window: Window) -> list[tuple[date, float]]:
    first, last = window
    days = []
    day = first
    while day <= last:
        if day not in tracker.rest:
            days.append((day, tracker.days.get(day, 0.0)))
        day += timedelta(days=1)
    return days


def _mean(days: Sequence[tuple[date, float]]) -> float | None:
    return sum(value for _, value in days) / len(days) if days else None


def _per_day(goal: Goal | None, name: str) -> str:
    if goal is None:
        return f"{name} per day"
    what = {"count": goal.plural, "minutes": "minutes"}.get(goal.metric, goal.called)
    return f"{what[:1].upper()}{what[1:]} per day"


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100):+d}%"


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _window_json(window: Window | None) -> list[str] | None:
    return [window[0].isoformat(), window[1].isoformat()] if window else None
