"""``smallwins stats``: each goal's standing, read from the coach's own trackers.

The numbers are not derived again here: ``gather`` loads the trackers exactly as the daemon's
coach does and reads their snapshots, so stats and coaching never disagree. Everything else is
pure formatting (the text report, the heat map, the JSON objects).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from smallwins.api.goal import Goal
from smallwins.api.progress import Progress, Tracker, ramped, week_start
from smallwins.coach.coach import Coach
from smallwins.ledger import Ledger

WINDOW_DAYS = 84  # the days listed in --json, and enough to fill the heat map
HEAT_WEEKS = 12
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A day's cell by its metric against the day's share of the current target (the tracker
# keeps no past targets): below each ratio its mark, from 1.5x the target the full block.
LEVELS = ((0.5, "░"), (1.0, "▒"), (1.5, "▓"))
FULL, NONE, REST, BLANK = "█", "·", "r", " "
LEGEND = "· none  ░ under half  ▒ under target  ▓ target met  █ 1.5x target  r rest day"


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    value: float
    rest: bool


@dataclass(frozen=True, slots=True)
class GoalStats:
    """One goal's standing today, and its last ``WINDOW_DAYS`` days (oldest first)."""

    progress: Progress
    next_target: float
    first_day: date | None
    days: tuple[Day, ...]

    @property
    def goal(self) -> Goal:
        return self.progress.goal


def gather(coach: Coach, ledger: Ledger, now: datetime) -> list[GoalStats]:
    """Every goal's stats at ``now``, from the trackers the coach builds from ``ledger``."""
    ledger.read(lambda view: coach.load(view, now))
    today = coach.schedule.today(now)
    return [goal_stats(coach.trackers[goal.name], today) for goal in coach.goals]


def goal_stats(tracker: Tracker, today: date) -> GoalStats:
    progress = tracker.snapshot(today)
    window = [today - timedelta(days=n) for n in range(WINDOW_DAYS - 1, -1, -1)]
    return GoalStats(
        progress=progress,
        next_target=ramped(tracker.goal, progress.target),
        first_day=tracker.first_day,
        days=tuple(Day(d, tracker.days.get(d, 0.0), d in tracker.rest) for d in window),
    )


def day_share(goal: Goal, target: float) -> float:
    """The part of the target one day carries: all of it, or a seventh of a week's."""
    return target if goal.per == "day" else target / 7


# -- the heat map -------------------------------------------------------------------------


def cell(value: float, rest: bool, share: float) -> str:
    if value <= 0:
        return REST if rest else NONE
    ratio = value / share
    for limit, mark in LEVELS:
        if ratio < limit:
            return mark
    return FULL


def heatmap(
    days: Sequence[Day],
    *,
    today: date,
    share: float,
    first_day: date | None,
    weeks: int = HEAT_WEEKS,
) -> list[str]:
    """Rows Monday to Sunday, a column per week ending with this one, and a legend.

    Days before the goal's first win and after today stay blank: a new goal does not start
    with a wall of empty days.
    """
    by_day = {d.day: d for d in days}
    first_monday = week_start(today) - timedelta(weeks=weeks - 1)
    mondays = [first_monday + timedelta(weeks=n) for n in range(weeks)]
    lines = [("     " + _month_row(mondays)).rstrip()]
    for weekday, name in enumerate(WEEKDAYS):
        cells = []
        for monday in mondays:
            day = monday + timedelta(days=weekday)
            if first_day is None or not first_day <= day <= today:
                cells.append(BLANK)
                continue
            known = by_day.get(day, Day(day, 0.0, False))
            cells.append(cell(known.value, known.rest, share))
        lines.append(f"{name}  {' '.join(cells)}".rstrip())
    lines.append(LEGEND)
    return lines


def _month_row(mondays: Sequence[date]) -> str:
    """A month's name over the first week that starts in it. The first column names its
    month too, unless the next month starts a week later and the two would run together."""
    starts = [
        n for n, monday in enumerate(mondays) if n == 0 or monday.month != mondays[n - 1].month
    ]
    if len(starts) > 1 and starts[1] == 1:
        starts.pop(0)
    row = ""
    for n in starts:
        row = row.ljust(2 * n) + MONTHS[mondays[n].month - 1]
    return row


# -- words --------------------------------------------------------------------------------


def num(value: float, places: int = 1) -> str:
    """1,234 / 10.5 / 11.03: no trailing zeros, so a ramped target shows what it is."""
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def amount(goal: Goal, value: float, places: int = 1) -> str:
    if goal.metric == "minutes":
        return f"{num(value, places)} min"
    if goal.metric == "count":
        return f"{num(value, places)} {goal.noun if value == 1 else goal.plural}"
    return num(value, places)


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def this_week_percent(progress: Progress) -> int | None:
    """This week as a percentage of the usual week (None until there is a usual week)."""
    if not progress.baseline:
        return None
    return round(progress.week_value / progress.baseline * 100)


def render(stats: Sequence[GoalStats]) -> str:
    """The text report: a block per goal."""
    if not stats:
        return (
            "No goals yet: configure a source (smallwins init), and each gets a goal of a win "
            "a day; or add [goals.NAME] tables (docs/configuration.md).\n"
        )
    return "\n".join(_block(s) for s in stats)


def _block(stats: GoalStats) -> str:
    progress, goal = stats.progress, stats.goal
    per = "a day" if goal.per == "day" else "a week"
    unit = ("day", "days") if goal.per == "day" else ("week", "weeks")
    what = {"count": goal.plural, "minutes": "minutes"}.get(goal.metric, "value")
    lines = [f"{goal.name}: {what} {per}, from {', '.join(goal.sources)}"]

    def row(label: str, text: str) -> None:
        lines.append(f"  {label:<11}{text}")

    row(
        "streak",
        f"{_count(progress.streak, *unit)}, best {_count(progress.best_streak, *unit)}",
    )
    row("strength", f"{round(progress.strength * 100)}%")
    totals = _count(progress.total_count, goal.noun, goal.plural)
    if goal.metric == "minutes":
        totals += f", {num(progress.total_value / 60)} hours"
    elif goal.metric == "value":
        totals += f", {num(progress.total_value)} in all"
    row("totals", totals)
    bests = [f"biggest day {amount(goal, progress.best_day)}"]
    if goal.metric != "count":
        bests.insert(0, f"longest {amount(goal, progress.best_single)}")
    bests.append(f"biggest week {amount(goal, progress.best_week)}")
    row("bests", ", ".join(bests))
    week = f"{amount(goal, progress.week_value)} so far"
    percent = this_week_percent(progress)
    if progress.baseline is None:
        week += "; a usual week needs four full weeks of history"
    elif percent is None:
        week += f"; your usual week is {amount(goal, 0)}"
    else:
        week += f": {percent}% of your usual {amount(goal, progress.baseline)}"
    row("this week", week)
    target = f"{amount(goal, progress.target, 2)} {per}"
    if not goal.ramp:
        target += " (no ramp)"
    elif stats.next_target > progress.target:
        ceiling = f", max {num(goal.max_target, 2)}" if goal.max_target else ""
        target += (
            f"; {amount(goal, stats.next_target, 2)} after a strong week"
            f" (ramp {num(goal.ramp * 100, 2)}%{ceiling})"
        )
    else:
        target += " (at its max_target)"
    row("target", target)
    lines.append("")
    if stats.first_day is None:
        lines.append(f"  no {goal.plural} yet")
    else:
        share = day_share(goal, progress.target)
        grid = heatmap(stats.days, today=progress.today, share=share, first_day=stats.first_day)
        lines.extend(f"  {line}" if line else "" for line in grid)
        if goal.per == "week":
            lines.append(f"  (a day's target: a seventh of the week's, {amount(goal, share, 2)})")
    return "\n".join(lines) + "\n"


# -- JSON ---------------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def to_json(stats: Sequence[GoalStats]) -> list[dict[str, Any]]:
    """One object per goal; numbers in the goal's metric, strength in percent."""
    return [_goal_json(s) for s in stats]


def _goal_json(stats: GoalStats) -> dict[str, Any]:
    progress, goal = stats.progress, stats.goal
    return {
        "goal": goal.name,
        "sources": list(goal.sources),
        "metric": goal.metric,
        "per": goal.per,
        "unit": goal.unit,
        "today": progress.today.isoformat(),
        "target": progress.target,
        "next_target": stats.next_target,
        "max_target": goal.max_target,
        "ramp": goal.ramp,
        "streak": progress.streak,
        "streak_unit": "days" if goal.per == "day" else "weeks",
        "streak_start": _iso(progress.streak_start),
        "best_streak": progress.best_streak,
        "strength": round(progress.strength * 100, 1),
        "total_count": progress.total_count,
        "total_value": round(progress.total_value, 2),
        "total_hours": round(progress.total_value / 60, 2) if goal.metric == "minutes" else None,
        "today_value": progress.today_value,
        "this_week": round(progress.week_value, 2),
        "baseline": progress.baseline,
        "this_week_percent": this_week_percent(progress),
        "best_single": progress.best_single if goal.metric != "count" else None,
        "best_day": progress.best_day,
        "best_week": progress.best_week,
        "first_day": _iso(stats.first_day),
        "last_win_at": _iso(progress.last_win_at),
        "days": [
            {"day": d.day.isoformat(), "value": round(d.value, 2), "rest": d.rest}
            for d in stats.days
        ],
    }
