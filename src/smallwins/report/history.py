"""A goal's history day by day, for the report page.

Nothing is derived again here: each goal's tracker is built from the ledger by the coach's own
``tracker_from`` and closed one day at a time, as the daemon closes them, and what it holds
after each day (its strength, its streak, its target, each week's total and baseline) is kept.
Once closed through yesterday it is the tracker ``stats`` reads, so the page's headline numbers
are ``stats``'s own (``GoalStats``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from smallwins.api.goal import Goal
from smallwins.api.progress import Tracker, WeekClose, week_start
from smallwins.coach.coach import Coach
from smallwins.coach.experiment import Outcome, outcome
from smallwins.coach.stats import GoalStats, goal_stats
from smallwins.coach.trackers import tracker_from
from smallwins.ledger import Ledger, LedgerView, StoredWin

# The page lists the last days' wins up to this many per goal: a list a person scrolls, not
# an export (``smallwins wins --json`` is that).
LIST_DAYS = 30
LIST_CAP = 500


@dataclass(frozen=True, slots=True)
class Run:
    """One streak: its first and last day and its length in the goal's periods."""

    start: date
    end: date
    length: int


@dataclass(frozen=True, slots=True)
class Week:
    """A week (Monday to Sunday) and the usual week before it (None before four weeks)."""

    start: date
    value: float
    baseline: float | None


@dataclass(frozen=True, slots=True)
class Step:
    """The target from ``day`` on."""

    day: date
    target: float


@dataclass(frozen=True, slots=True)
class GoalHistory:
    stats: GoalStats
    days: dict[date, float]
    rest: frozenset[date]
    strength: tuple[tuple[date, float], ...]
    runs: tuple[Run, ...]
    weeks: tuple[Week, ...]
    steps: tuple[Step, ...]
    wins: tuple[StoredWin, ...]
    more_wins: int
    # The weeks (their Mondays) the coach told as marginal gains.
    told_gains: frozenset[date] = frozenset()
    experiments: tuple[Outcome, ...] = ()

    @property
    def goal(self) -> Goal:
        return self.stats.goal


def gather(
    coach: Coach,
    ledger: Ledger,
    today: date,
    goals: Sequence[Goal],
    list_end: date,
    start: date | None = None,
) -> list[GoalHistory]:
    """Each of ``goals``'s history through ``today``, day by day from ``start`` (weeks and
    target steps from the first day); its wins listed up to ``list_end``."""

    def read(
        view: LedgerView,
    ) -> list[tuple[Tracker, list[StoredWin], frozenset[date], list[Outcome]]]:
        first = list_end - timedelta(days=LIST_DAYS - 1)
        found = []
        for goal in goals:
            wins = view.wins(sources=goal.sources, days=(first, list_end), newest_first=True)
            counted = [w for w in wins if goal.counts(w.source, w.kind, w.tags)]
            # A gain is told when its week has closed, about the week before the one it is
            # told in: only the newest close speaks, however long the daemon was away.
            gains = frozenset(
                week_start(coach.schedule.today(at)) - timedelta(weeks=1)
                for at in view.times_told("marginal_gain", goal.name)
            )
            tracker = tracker_from(view, goal)
            tried = [outcome(e, goal, tracker, today) for e in view.experiments(goal.name)]
            found.append((tracker, counted, gains, tried))
        return found

    return [
        replace(history(tracker, wins, today, start), told_gains=gains, experiments=tuple(tried))
        for tracker, wins, gains, tried in ledger.read(read)
    ]


def history(
    tracker: Tracker, wins: Sequence[StoredWin], today: date, start: date | None = None
) -> GoalHistory:
    """Close ``tracker`` through yesterday, keeping what each day from ``start`` did (the days
    before are closed at once: ten years day by day would cost seconds)."""
    strength: list[tuple[date, float]] = []
    runs: list[Run] = []
    weeks: list[Week] = []
    steps = [Step(tracker.first_day, tracker.target)] if tracker.first_day else []
    day = tracker.first_day
    if day is not None and start is not None and day < start - timedelta(days=1):
        before, closed = tracker.close_through(min(start, today) - timedelta(days=1))
        _weeks(weeks, steps, closed)
        # The streak standing at ``start`` reaches back as far as it does.
        if before:
            _extend(runs, tracker.streak_start, before[-1].day, tracker.streak)
        day = min(start, today)
    while day is not None and day < today:
        _, closed = tracker.close_through(day)
        strength.append((day, tracker.strength))
        _extend(runs, tracker.streak_start, day, tracker.streak)
        _weeks(weeks, steps, closed)
        day += timedelta(days=1)
    stats = goal_stats(tracker, today)
    progress = stats.progress
    if tracker.first_day is not None:
        strength.append((today, progress.strength))
        _extend(runs, progress.streak_start, today, progress.streak)
        this_week = week_start(today)
        weeks.append(Week(this_week, progress.week_value, progress.baseline))
    shown = tuple(wins[:LIST_CAP])
    return GoalHistory(
        stats=stats,
        days=dict(tracker.days),
        rest=frozenset(tracker.rest),
        strength=tuple(strength),
        runs=tuple(runs),
        weeks=tuple(weeks),
        steps=tuple(steps),
        wins=shown,
        more_wins=len(wins) - len(shown),
    )


def _weeks(weeks: list[Week], steps: list[Step], closed: Sequence[WeekClose]) -> None:
    for week in closed:
        weeks.append(Week(week.start, week.value, week.baseline))
        if week.target_after != week.target_before:
            steps.append(Step(week.start + timedelta(days=7), week.target_after))


def _extend(runs: list[Run], start: date | None, day: date, length: int) -> None:
    """The streak standing on ``day``: the last run goes on, or a new one starts."""
    if length <= 0 or start is None:
        return
    if runs and runs[-1].start == start:
        runs[-1] = Run(start, day, length)
    else:
        runs.append(Run(start, day, length))
