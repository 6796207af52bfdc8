"""Where a goal's habit stands in its life: new, set, or wobbling after it had set.

A new habit hears every win. One that has set hears only news (milestones, bests, comebacks, a
session far from the usual, ...); its routine wins fold into the digest. A wobble brings every
win's celebration back until the habit sets again.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from smallwins.api.goal import Goal
from smallwins.api.progress import DayClose, Progress, Tracker, WeekClose

# A habit is new for its first four weeks, whatever its strength.
NEW_DAYS = 28
# It has set once its strength stayed at SET_STRENGTH or more for SET_DAYS closed days in a
# row (rest days aside); a day that leaves it under SET_STRENGTH is a wobble. A streak that
# ends is none: strength shows that a quiet day or two cost little.
SET_STRENGTH = 0.8
SET_DAYS = 14
# A session is far from the usual at FAR_FROM_USUAL times the median of the goal's largest
# win a day over the USUAL_WEEKS weeks before it.
USUAL_WEEKS = 12
FAR_FROM_USUAL = 2.0


@dataclass(slots=True)
class Life:
    """The part of a goal's history that says whether its habit has set."""

    steady_days: int = 0
    # The habit had set and lost its footing, and no day (or week) has met the target since.
    wobbled: bool = False
    ever_met: bool = False

    @classmethod
    def of(cls, goal: Goal, days: Iterable[DayClose], weeks: Iterable[WeekClose]) -> Life:
        life = cls()
        life.close(goal, days, weeks)
        return life

    def close(self, goal: Goal, days: Iterable[DayClose], weeks: Iterable[WeekClose]) -> None:
        """Take in the days (and weeks) that closed, oldest first, each week after its
        Sunday: a daemon that starts takes in its whole history at once, and a week met
        before a later wobble must not hide that wobble."""
        pending = sorted(weeks, key=lambda week: week.start)
        for close in days:
            self._day(goal, close)
            while pending and pending[0].start + timedelta(days=6) <= close.day:
                self._week(goal, pending.pop(0))
        for week in pending:
            self._week(goal, week)

    def _day(self, goal: Goal, close: DayClose) -> None:
        if close.rest:
            return
        if close.strength < SET_STRENGTH:
            self.wobbled = self.wobbled or self.steady_days >= SET_DAYS
            self.steady_days = 0
        else:
            self.steady_days += 1
        if goal.per == "day" and close.met:
            self.ever_met, self.wobbled = True, False

    def _week(self, goal: Goal, week: WeekClose) -> None:
        if goal.per == "week" and week.met:
            self.ever_met, self.wobbled = True, False

    def has_set(self, progress: Progress) -> bool:
        return progress.history_days > NEW_DAYS and self.steady_days >= SET_DAYS


def celebrates(goal: Goal, life: Life, progress: Progress) -> bool:
    """Whether a routine win of ``goal`` is celebrated one by one (``celebrate``)."""
    if goal.celebrate == "every":
        return True
    if goal.celebrate == "news":
        return False
    return not life.has_set(progress)


def far_from_usual(goal: Goal, tracker: Tracker, day: date, value: float) -> dict[str, Any]:
    """A win's ``usual_value`` and, when it is far from the usual, ``last_as_large`` (the
    WinEvent's fields), from the goal's history before the win's day."""
    if goal.limit:
        return {}
    usual = usual_value(tracker, day)
    if not usual or value < FAR_FROM_USUAL * usual:
        return {"usual_value": usual}
    return {"usual_value": usual, "last_as_large": last_as_large(tracker, day, value)}


def usual_value(tracker: Tracker, day: date) -> float:
    """The median of the largest win of each day with a win in the 12 weeks before ``day``;
    0 with fewer than four weeks of them."""
    values = [
        value
        for n in range(1, USUAL_WEEKS * 7 + 1)
        if (value := tracker.largest.get(day - timedelta(days=n), 0.0)) > 0
    ]
    return statistics.median(values) if len(values) >= NEW_DAYS else 0.0


def last_as_large(tracker: Tracker, day: date, value: float) -> date | None:
    """The last day before ``day`` with a win at least ``value`` large, or None."""
    return max((d for d, v in tracker.largest.items() if d < day and v >= value), default=None)


def gap_closed(tracker: Tracker, day: date) -> int:
    """Days without a win (rest days aside) right before ``day``, a day with a win."""
    if tracker.first_day is None or day not in tracker.days:
        return 0
    gap = 0
    cursor = day - timedelta(days=1)
    while cursor >= tracker.first_day and cursor not in tracker.days and gap <= 366:
        gap += cursor not in tracker.rest
        cursor -= timedelta(days=1)
    return gap
