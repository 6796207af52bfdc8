"""Per-goal progress, kept up to date one win and one closed day at a time.

Nothing here rescans history after start-up: a win updates its day, a closed day updates the
streak, the strength and (on Sundays) the week. Evaluating the rules after a new win therefore
costs the new wins plus the days in the rules' windows, whatever the size of the ledger.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from smallwins.api.goal import Goal

BASELINE_WEEKS = 4
# A week's close carries this many weeks of totals: enough to tell a real gain from noise.
RECENT_WEEKS = 8


def _digits(goal: Goal) -> int:
    # A count grows in whole wins: 5% of one win a day is no step at all, not 1.05 a day.
    return 0 if goal.metric == "count" else 1


def ramped(goal: Goal, target: float) -> float:
    """``target`` one kaizen step up, never past ``max_target`` (unchanged without a ramp)."""
    if not goal.ramp:
        return target
    return min(goal.max_target or math.inf, round(target * (1 + goal.ramp), _digits(goal)))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def loop_score(frequency: float, previous: float, checkmark: float) -> float:
    """The strength after one more day: the Loop Habit Tracker's ``Score.compute``.

    ``frequency`` is the target's frequency per day, ``checkmark`` the share of the target met
    (0 to 1)."""
    m: float = 0.5 ** (math.sqrt(frequency) / 13)
    return previous * m + checkmark * (1 - m)


@dataclass(frozen=True, slots=True)
class Window:
    """How a day is scored: the share of ``amount`` met in the trailing ``days`` (the day
    itself included), and the frequency per day that weighs it."""

    days: int
    amount: float
    frequency: float
    limit: bool = False

    @classmethod
    def of(cls, goal: Goal, target: float) -> Window:
        """The window of Loop's score for ``goal`` at ``target``.

        A per-day goal is scored day by day. A per-week goal is scored on the last 7 days; a
        ``count`` goal under 7 a week is Loop's yes-or-no habit, whose window Loop doubles (14
        days, twice the target) so that a week's wins on other weekdays than the last week's
        still count in full. A limit is Loop's numerical "at most" habit, whatever its
        metric: its window is the day or the last 7 days."""
        if goal.per == "day":
            return cls(1, target, 1.0, goal.limit)
        if goal.metric == "count" and not goal.limit:
            frequency = min(1.0, target / 7)
            if frequency < 1:
                return cls(14, 2 * target, frequency)
            return cls(7, target, frequency)
        return cls(7, target, 1 / 7, goal.limit)

    def checkmark(self, total: float) -> float:
        """The share of the target met by ``total`` over the window, at most 1; for a limit,
        1 within it, falling to 0 at twice the limit (Loop's "at most")."""
        if self.limit:
            return min(1.0, max(0.0, 1 - (total - self.amount) / self.amount))
        return min(1.0, total / self.amount)


@dataclass(frozen=True, slots=True)
class Progress:
    """One goal's standing at one moment."""

    goal: Goal
    today: date
    today_value: float
    week_value: float
    target: float
    streak: int
    streak_start: date | None
    best_streak: int
    strength: float
    total_count: int
    total_value: float
    best_single: float
    best_day: float
    best_week: float
    baseline: float | None
    history_days: int
    last_win_title: str | None
    last_win_at: datetime | None
    last_win_value: float
    last_seven: tuple[float, ...]
    last_win_day: date | None = None

    @property
    def met_today(self) -> bool:
        if self.goal.limit:
            return self.today_value <= self.target
        return self.today_value >= self.target

    @property
    def total(self) -> float:
        """The goal's total in its metric: wins for ``count``, hours for ``minutes``."""
        if self.goal.metric == "count":
            return float(self.total_count)
        if self.goal.metric == "minutes":
            return self.total_value / 60
        return self.total_value


@dataclass(frozen=True, slots=True)
class DayClose:
    """What closing one day did to a goal (per-day goals)."""

    day: date
    value: float
    met: bool
    rest: bool
    grace_used: bool
    broke: bool
    streak_before: int
    # The strength once the day is closed.
    strength: float = 0.0


@dataclass(frozen=True, slots=True)
class WeekClose:
    """What closing one week (Monday to Sunday) did to a goal."""

    start: date
    value: float
    baseline: float | None
    met_days: int
    active_days: int
    met: bool
    target_before: float
    target_after: float
    # The totals of the last eight weeks, oldest first, this one last; empty until the goal
    # has history back to the first of them.
    recent: tuple[float, ...] = ()


@dataclass(slots=True)
class Tracker:
    """The incremental state of one goal."""

    goal: Goal
    days: dict[date, float] = field(default_factory=dict)
    rest: set[date] = field(default_factory=set)
    first_day: date | None = None
    closed_through: date | None = None
    streak: int = 0
    streak_start: date | None = None
    best_streak: int = 0
    grace_left: int = 0
    grace_week: date | None = None
    strength: float = 0.0
    total_count: int = 0
    total_value: float = 0.0
    best_single: float = 0.0
    # The largest single win of each day with a win.
    largest: dict[date, float] = field(default_factory=dict)
    best_day: float = 0.0
    best_week: float = 0.0
    weeks: dict[date, float] = field(default_factory=dict)
    target: float = 0.0
    weeks_below: int = 0
    last_win_title: str | None = None
    last_win_at: datetime | None = None
    last_win_value: float = 0.0
    last_win_day: date | None = None

    def __post_init__(self) -> None:
        self.target = self.goal.target
        self.grace_left = self.goal.grace_days
        if self.goal.limit:
            # Loop's "at most" score starts full, and counts from the day the limit starts.
            self.strength = 1.0
            self.first_day = self.goal.since

    # -- wins -----------------------------------------------------------------------------

    def add(self, day: date, at: datetime, value: float, title: str) -> None:
        """Count one win (on an open day: a closed day needs a rebuild)."""
        self.add_day(day, 1, float(value), float(value))
        if self.last_win_at is None or at >= self.last_win_at:
            self.last_win_at, self.last_win_title, self.last_win_value = at, title, float(value)
            self.last_win_day = day

    def add_day(self, day: date, count: int, total: float, largest: float) -> None:
        """Count ``count`` wins of one day whose values sum to ``total``."""
        amount = float(count) if self.goal.metric == "count" else total
        self.days[day] = self.days.get(day, 0.0) + amount
        self.weeks[week_start(day)] = self.weeks.get(week_start(day), 0.0) + amount
        self.total_count += count
        self.total_value += total
        self.largest[day] = max(self.largest.get(day, 0.0), largest)
        if self.goal.metric != "count":
            self.best_single = max(self.best_single, largest)
        if self.first_day is None or (day < self.first_day and not self.goal.since):
            self.first_day = day

    def gap_before(self, day: date) -> int:
        """Days without a win (rest days aside) right before ``day``, if ``day`` had none yet."""
        if self.first_day is None or day in self.days:
            return 0
        gap = 0
        cursor = day - timedelta(days=1)
        while cursor >= self.first_day and cursor not in self.days:
            if cursor not in self.rest:
                gap += 1
            cursor -= timedelta(days=1)
            if gap > 366:
                break
        return gap

    # -- closing days and weeks -----------------------------------------------------------

    def close_through(self, last: date) -> tuple[list[DayClose], list[WeekClose]]:
        """Close every day up to ``last``; returns what each closed day and week did."""
        days: list[DayClose] = []
        weeks: list[WeekClose] = []
        if self.first_day is None:
            return days, weeks
        day = (
            self.first_day
            if self.closed_through is None
            else (self.closed_through + timedelta(days=1))
        )
        while day <= last:
            days.append(self._close_day(day))
            if day.weekday() == 6:
                weeks.append(self._close_week(week_start(day)))
            self.closed_through = day
            day += timedelta(days=1)
        return days, weeks

    def _close_day(self, day: date) -> DayClose:
        if week_start(day) != self.grace_week:
            self.grace_week = week_start(day)
            self.grace_left = self.goal.grace_days
        value = self.days.get(day, 0.0)
        per_day = self.goal.per == "day"
        met = self._met(value) if per_day else (value > 0) != self.goal.limit
        before = self.streak
        self.best_day = max(self.best_day, value)
        if day in self.rest and not met:
            # A rest day is never a miss, even with a little done on it; met, it is a win.
            return DayClose(day, value, False, True, False, False, before, self.strength)
        window = Window.of(self.goal, self.target)
        total = value + sum(
            self.days.get(day - timedelta(days=n), 0.0) for n in range(1, window.days)
        )
        self.strength = loop_score(window.frequency, self.strength, window.checkmark(total))
        grace_used = broke = False
        if per_day:
            if met:
                if self.streak == 0:
                    self.streak_start = day
                self.streak += 1
                self.best_streak = max(self.best_streak, self.streak)
            elif self.streak > 0 and self.grace_left > 0:
                self.grace_left -= 1
                grace_used = True
            elif self.streak > 0:
                self.streak, self.streak_start, broke = 0, None, True
        return DayClose(day, value, met, False, grace_used, broke, before, self.strength)

    def _close_week(self, start: date) -> WeekClose:
        value = self.weeks.get(start, 0.0)
        self.best_week = max(self.best_week, value)
        baseline = self.baseline_before(start)
        days = [start + timedelta(days=i) for i in range(7)]
        target = self.target
        # A rest day is active only when it was met (a weekly goal's week is met or not as a
        # whole: a week of rest days is never a miss).
        per_day = self.goal.per == "day"
        active = [
            d for d in days if d not in self.rest or (per_day and self._met(self.days.get(d, 0.0)))
        ]
        if per_day:
            met_days = sum(1 for d in active if self._met(self.days.get(d, 0.0)))
            # Most days of a week with at least four to count: a week of rest is no evidence.
            met = len(active) >= 4 and met_days * 7 >= len(active) * 5
            below = bool(active) and met_days * 2 < len(active)
        else:
            met_days = sum(1 for d in days if self.days.get(d, 0.0) > 0)
            met = self._met(value)
            below = not met and bool(active)
            if met:
                if self.streak == 0:
                    self.streak_start = start
                self.streak += 1
                self.best_streak = max(self.best_streak, self.streak)
            elif active:
                self.streak, self.streak_start = 0, None
        self._ramp(met, below)
        return WeekClose(
            start,
            value,
            baseline,
            met_days,
            len(active),
            met,
            target,
            self.target,
            self.weeks_through(start, RECENT_WEEKS),
        )

    def _met(self, value: float) -> bool:
        """Whether a day's (or a week's) metric meets the target, or stays within a limit."""
        return value <= self.target if self.goal.limit else value >= self.target

    def _ramp(self, met: bool, below: bool) -> None:
        """Kaizen: a week met on most days raises the target a step; two weeks below ease it."""
        if not self.goal.ramp:
            return
        if met:
            self.weeks_below = 0
            self.target = ramped(self.goal, self.target)
        elif below:
            self.weeks_below += 1
            if self.weeks_below >= 2:
                self.weeks_below = 0
                eased = round(self.target / (1 + self.goal.ramp), _digits(self.goal))
                self.target = max(self.goal.target, eased)
        else:
            self.weeks_below = 0

    def weeks_through(self, start: date, count: int) -> tuple[float, ...]:
        """The totals of ``count`` weeks up to the week at ``start``, oldest first; empty when
        the goal's history does not reach back to the first of them."""
        first = start - timedelta(weeks=count - 1)
        if self.first_day is None or week_start(self.first_day) > first:
            return ()
        return tuple(self.weeks.get(first + timedelta(weeks=n), 0.0) for n in range(count))

    def baseline_before(self, start: date) -> float | None:
        """The median of the four complete weeks before the week at ``start``."""
        if self.first_day is None or week_start(self.first_day) > start - timedelta(weeks=4):
            return None
        values = [
            self.weeks.get(start - timedelta(weeks=n), 0.0) for n in range(1, BASELINE_WEEKS + 1)
        ]
        return statistics.median(values)

    # -- reading --------------------------------------------------------------------------

    def snapshot(self, today: date) -> Progress:
        today_value = self.days.get(today, 0.0)
        streak = self.streak
        # The open day (or week) adds to the streak once it is met; it never breaks it. Within
        # a limit is known only when the day (or week) ends.
        if self.goal.limit:
            open_met = False
        elif self.goal.per == "day":
            open_met = today_value >= self.target and self.closed_through != today
        else:
            week_end = week_start(today) + timedelta(days=6)
            open_met = self.weeks.get(week_start(today), 0) >= self.target and (
                self.closed_through is None or self.closed_through < week_end
            )
        streak += int(open_met)
        history = (today - self.first_day).days + 1 if self.first_day else 0
        return Progress(
            goal=self.goal,
            today=today,
            today_value=today_value,
            week_value=self.weeks.get(week_start(today), 0.0),
            target=self.target,
            streak=streak,
            streak_start=self.streak_start or (today if streak else None),
            best_streak=max(self.best_streak, streak),
            strength=self.strength,
            total_count=self.total_count,
            total_value=self.total_value,
            best_single=self.best_single,
            best_day=max(self.best_day, today_value),
            best_week=max(self.best_week, self.weeks.get(week_start(today), 0.0)),
            baseline=self.baseline_before(week_start(today)),
            history_days=history,
            last_win_title=self.last_win_title,
            last_win_at=self.last_win_at,
            last_win_value=self.last_win_value,
            last_seven=tuple(
                self.days.get(today - timedelta(days=n), 0.0) for n in range(6, -1, -1)
            ),
            last_win_day=self.last_win_day,
        )
