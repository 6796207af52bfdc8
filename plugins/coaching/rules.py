"""The built-in progress rules (DESIGN section 7): streaks, totals, bests, comebacks, gains,
level-ups, setbacks and digests."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from typing import Any

from smallwins import (
    DayEvent,
    Goal,
    Progress,
    Rule,
    Tell,
    WeekEvent,
    WinEvent,
)

from .words import counted

STREAK_MARKS = (3, 7, 14, 30, 50, 100, 200, 365)
# A limit's run is told from its first day: staying under is news from the start.
LIMIT_MARKS = (1, *STREAK_MARKS)
TOTAL_MARKS = (1, 10, 25, 50, 100, 250, 500, 1000)
BEST_AFTER_DAYS = 14
# A session far from the usual is told when none was as large for this many days.
LONG_AFTER_DAYS = 30
FAR_FROM_USUAL = 2.0
GAIN_THRESHOLD = 0.01
# A gain is real when the week beats the usual one by WEEK_NOISE standard deviations of the
# weeks before, or the last GAIN_WEEKS weeks beat the GAIN_WEEKS before by GAIN_NOISE standard
# errors; it is told at most once in GAIN_COOLDOWN_DAYS a goal.
GAIN_WEEKS = 4
GAIN_NOISE = 1.5
WEEK_NOISE = 3
GAIN_COOLDOWN_DAYS = 28


def streak_marks(before: int, after: int, marks_from: tuple[int, ...] = STREAK_MARKS) -> list[int]:
    """Streak milestones in (before, after]: 3, 7, 14, 30, 50, 100, 200, 365, then yearly."""
    marks = [m for m in marks_from if before < m <= after]
    marks += [y for y in range(730, after + 1, 365) if y > before]
    return marks


def total_marks(before: float, after: float) -> list[int]:
    """Totals on a thinning schedule: 1, 10, 25, 50, 100, 250, 500, 1000, then every 1000."""
    marks = [m for m in TOTAL_MARKS if before < m <= after]
    marks += [t for t in range(2000, int(after) + 1, 1000) if t > before]
    return marks


def number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def amount(goal: Goal, value: float) -> str:
    """A metric value in words: "12 min", "3 commits"."""
    if goal.metric == "minutes":
        return f"{number(value)} min"
    if goal.metric == "count":
        return f"{number(value)} {goal.noun if value == 1 else goal.plural}"
    return number(value)


def next_step(goal: Goal) -> str:
    """The smallest step that keeps a goal going."""
    if goal.metric == "minutes":
        return "2 minutes"
    if goal.metric == "count":
        return f"one small {goal.noun}"
    return "one small step"


def article(noun: str) -> str:
    """ "a commit", "an event"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _weekday(progress: Progress) -> str:
    """The local day of the goal's last win ("Sunday"): a win at 00:30 counts for the evening
    before, and a win stored in UTC for the user's own day."""
    if progress.last_win_day is not None:
        return progress.last_win_day.strftime("%A")
    return progress.last_win_at.strftime("%A") if progress.last_win_at else "recently"


def base_values(progress: Progress) -> dict[str, Any]:
    goal = progress.goal
    last = progress.last_win_title
    return {
        "goal": goal.called,
        "noun": goal.noun,
        "plural": goal.plural,
        "strength": round(progress.strength * 100),
        "streak": progress.streak,
        "target": amount(goal, progress.target),
        "step": next_step(goal),
        "Step": next_step(goal)[:1].upper() + next_step(goal)[1:],
        "last_win": f"\u201c{last}\u201d" if last else article(goal.noun),
        "a_noun": article(goal.noun),
        "when": _weekday(progress),
    }


class Streaks(Rule):
    """A streak crossing 3, 7, 14, 30, 50, 100, 200, 365 days, then each year: told once.

    A limit's streak (days or weeks within it) grows only when a day or week ends, from its
    first one: it is told then, in words of its own.
    """

    name = "streaks"

    def on_day_end(self, event: DayEvent) -> Iterator[Tell]:
        if event.goal.limit and event.goal.per == "day" and event.close.met:
            yield from _limit_marks(event.close.streak_before, event.progress)

    def on_week_end(self, event: WeekEvent) -> Iterator[Tell]:
        if event.goal.limit and event.goal.per == "week" and event.close.met:
            yield from _limit_marks(event.progress.streak - 1, event.progress)

    def on_win(self, event: WinEvent) -> Iterator[Tell]:
        unit1 = event.goal.per
        for mark in streak_marks(event.before.streak, event.after.streak):
            unit = unit1 if mark == 1 else f"{unit1}s"
            yield Tell(
                "streak",
                f"streak:{event.goal.name}:{event.after.streak_start}:{mark}",
                {**base_values(event.after), "n": mark, "unit": unit, "unit1": unit1},
            )


def _limit_marks(before: int, progress: Progress) -> Iterator[Tell]:
    goal = progress.goal
    unit1 = goal.per
    for mark in streak_marks(before, progress.streak, LIMIT_MARKS):
        yield Tell(
            "limit_streak",
            f"limit:{goal.name}:{progress.streak_start}:{mark}",
            {
                **base_values(progress),
                "n": mark,
                "unit": unit1 if mark == 1 else f"{unit1}s",
                "unit1": unit1,
                "per": f"a {unit1}",
            },
        )


class Totals(Rule):
    """A total crossing 1, 10, 25, 50, 100, 250, 500, 1000, then every 1000: once ever.

    A minutes goal has two totals on the same schedule: its hours and its sessions.
    """

    name = "totals"

    def on_win(self, event: WinEvent) -> Iterator[Tell]:
        goal, before, after = event.goal, event.before, event.after
        hours = goal.metric == "minutes"
        names = ("hour", "hours") if hours else (goal.noun, goal.plural)
        totals = [("total", names, before.total, after.total)]
        if hours:
            counts = (float(before.total_count), float(after.total_count))
            totals.append(("count", (goal.noun, goal.plural), *counts))
        for prefix, (one, many), old, new in totals:
            for mark in total_marks(old, new):
                yield Tell(
                    "total",
                    f"{prefix}:{goal.name}:{mark}",
                    {
                        **base_values(after),
                        "n": number(mark),
                        "what": one if mark == 1 else many,
                        "days": after.history_days,
                        "history": counted(after.history_days, "day", "days"),
                    },
                )


class PersonalBests(Rule):
    """Longest session, biggest day, biggest week: after 14 days, at most one a week."""

    name = "personal_bests"

    def on_win(self, event: WinEvent) -> Iterator[Tell]:
        before, after, goal = event.before, event.after, event.goal
        if after.history_days < BEST_AFTER_DAYS:
            return
        candidates = []
        if goal.metric != "count" and before.best_single > 0 and event.value > before.best_single:
            candidates.append(("single", "Longest session yet", event.value, before.best_single))
        if before.best_day > 0 and after.today_value > before.best_day >= before.today_value:
            candidates.append(("day", "Biggest day yet", after.today_value, before.best_day))
        if before.best_week > 0 and after.week_value > before.best_week >= before.week_value:
            candidates.append(("week", "Biggest week yet", after.week_value, before.best_week))
        for what, label, value, previous in candidates[:1]:
            yield Tell(
                "personal_best",
                f"best:{goal.name}:{what}:{event.day}",
                {
                    **base_values(after),
                    "label": label,
                    "value": amount(goal, value),
                    "previous": amount(goal, previous),
                },
                cooldown_days=7,
            )


def ago(days: int) -> str:
    """A stretch of days in words: "45 days", "11 months", "1 year"."""
    if days < 60:
        return counted(days, "day", "days")
    if days < 365:
        return counted(min(11, round(days / 30.44)), "month", "months")
    return counted(days // 365, "year", "years")


class LongSessions(Rule):
    """A win far from the usual: twice the goal's usual largest win a day or more, with none
    as large for 30 days. A best of all time of a ``minutes`` or ``value`` goal is a personal
    best instead. Once a week at most."""

    name = "long_sessions"

    def on_win(self, event: WinEvent) -> Iterator[Tell]:
        goal, usual, last = event.goal, event.usual_value, event.last_as_large
        if not usual or event.value < FAR_FROM_USUAL * usual:
            return
        if goal.metric != "count" and (last is None or event.value > event.before.best_single):
            return  # a new best: PersonalBests says it
        days = (event.day - last).days if last else event.before.history_days
        if days < LONG_AFTER_DAYS:
            return
        yield Tell(
            "long_session",
            f"long:{goal.name}:{event.day}",
            {
                **base_values(event.after),
                "value": _of(goal, event.value, event.unit),
                "usual": _of(goal, usual, event.unit),
                "times": number(round(event.value / usual, 1)),
                "ago": ago(days),
            },
            cooldown_days=7,
        )


def _of(goal: Goal, value: float, unit: str) -> str:
    """A win's value in its own unit ("158 min"), even when its goal counts wins."""
    if goal.metric == "count":
        return f"{number(value)} {unit}".strip()
    return amount(goal, value)


class Comebacks(Rule):
    """The first win after two or more days without one is its own moment."""

    name = "comebacks"

    def on_win(self, event: WinEvent) -> Iterator[Tell]:
        # Two quiet days are a gap for a daily goal; a weekly one is expected to rest for days.
        gap = 2 if event.goal.per == "day" else 7
        if event.first_today and event.gap_days >= gap:
            yield Tell(
                "comeback",
                f"comeback:{event.goal.name}:{event.day}",
                {
                    **base_values(event.after),
                    "gap": event.gap_days + 1,
                    "gap_days": counted(event.gap_days + 1, "day", "days"),
                },
            )


def real_gain(weeks: tuple[float, ...], baseline: float) -> bool:
    """Whether the week that ended (the last of ``weeks``) is a real gain, not week-to-week
    noise: it beats the usual week by more than three standard deviations of the seven weeks
    before it, or the last four weeks beat the four before by more than 1.5 standard errors
    of their difference (from the spread of the weeks within each half). A steady habit
    beats its usual week about every other week by chance; only a few of those pass."""
    if len(weeks) < 2 * GAIN_WEEKS:
        return False
    week, before_week = weeks[-1], weeks[-2 * GAIN_WEEKS : -1]
    if week - baseline > WEEK_NOISE * statistics.stdev(before_week):
        return True
    before, recent = weeks[-2 * GAIN_WEEKS : -GAIN_WEEKS], weeks[-GAIN_WEEKS:]
    noise = math.sqrt((statistics.variance(before) + statistics.variance(recent)) / 2)
    gain = statistics.mean(recent) - statistics.mean(before)
    return (
        gain > GAIN_NOISE * noise * math.sqrt(2 / GAIN_WEEKS)
        and gain > statistics.mean(before) * GAIN_THRESHOLD
    )


class MarginalGains(Rule):
    """A week beating the trailing four-week median by 1% or more, when the gain stands out of
    the week-to-week noise (``real_gain``): told at most once in 28 days a goal."""

    name = "marginal_gains"

    def on_week_end(self, event: WeekEvent) -> Iterator[Tell]:
        close, goal = event.close, event.goal
        if goal.limit:
            return  # more than usual is no gain against a limit
        if not close.baseline or close.value <= close.baseline * (1 + GAIN_THRESHOLD):
            return
        if not real_gain(close.recent, close.baseline):
            return
        gain = close.value / close.baseline - 1
        yield Tell(
            "marginal_gain",
            f"gain:{goal.name}:{close.start}",
            {
                **base_values(event.progress),
                "percent": max(1, round(gain * 100)),
                "value": amount(goal, close.value),
                "baseline": amount(goal, close.baseline),
            },
            cooldown_days=GAIN_COOLDOWN_DAYS,
        )


class LevelUps(Rule):
    """Kaizen: when the target ramps up after a strong week, say so once."""

    name = "level_ups"

    def on_week_end(self, event: WeekEvent) -> Iterator[Tell]:
        close, goal = event.close, event.goal
        if close.target_after <= close.target_before:
            return  # easing back is done quietly
        per = "a day" if goal.per == "day" else "a week"
        yield Tell(
            "level_up",
            f"level:{goal.name}:{close.start}",
            {
                **base_values(event.progress),
                "before": amount(goal, close.target_before),
                "after": amount(goal, close.target_after),
                "per": per,
                "met": close.met_days,
                "active": close.active_days,
                "active_days": counted(close.active_days, "day", "days"),
            },
        )


class Setbacks(Rule):
    """Gentle notes on a missed day: "never miss twice" while grace holds, a setback after.

    The coach keeps them rare (one per goal a week, never two days running, only after three
    celebrations) and out of quiet hours; what it holds back folds into the next digest.
    """

    name = "setbacks"

    def on_day_end(self, event: DayEvent) -> Iterator[Tell]:
        goal, close = event.goal, event.close
        if not goal.setbacks or goal.per != "day" or goal.limit or close.met or close.rest:
            return
        values = {**base_values(event.progress), "day": close.day.strftime("%A")}
        if close.grace_used:
            yield Tell("never_miss_twice", f"nmt:{goal.name}:{close.day}", values, "setback")
        elif close.broke:
            yield Tell("setback", f"setback:{goal.name}:{close.day}", values, "setback")
