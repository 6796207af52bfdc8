"""The evening digest: which wins it tells, and whether a day holds news enough for one.

With ``digest = "auto"`` a day's digest is told only when the day held news the celebrations
did not say (wins in several places, a goal met for the first time or after a wobble, a gap
closed); the weekly one on Sundays is told whatever the week held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from smallwins.api.goal import Goal
from smallwins.api.moment import Moment
from smallwins.api.progress import Progress, Tracker, week_start
from smallwins.api.rules import DigestEvent
from smallwins.api.win import kept_private
from smallwins.coach.life import Life, gap_closed
from smallwins.coach.voice import call_rule
from smallwins.coach.week import add_picture
from smallwins.ledger import LedgerView, StoredWin

if TYPE_CHECKING:
    from smallwins.coach.coach import Coach

WEEKLY = ("weekly", "both", "auto")


def digest_moments(coach: Coach, ledger: LedgerView, day: date, now: datetime) -> list[Moment]:
    """The digest of ``day`` (of its week, on a Sunday with a weekly digest), if it is due."""
    weekly = day.weekday() == 6 and coach.schedule.digest in WEEKLY
    # The weekly digest tells the week's wins, the daily one the day's.
    first = week_start(day) if weekly else day
    wins = digest_wins(ledger.wins(days=(first, day)), coach.goals, coach.private_sources)
    news = day_news(day, coach.goals, coach.trackers, coach.lives, wins)
    if coach.schedule.digest == "auto" and not weekly and not news:
        return []
    # A note asks for a small step: not of a goal that today already holds a win of.
    busy = [name for name, tracker in coach.trackers.items() if day in tracker.days]
    notes = tuple(ledger.held_back(ledger.last_digest_at(), except_goals=busy))
    goals = tuple(
        untitled(coach.trackers[g.name].snapshot(day))
        for g in coach.goals
        if g.name in coach.trackers
    )
    event = DigestEvent(day, weekly, goals, wins, notes, now, coach.source_words, news)
    moments: list[Moment] = []
    for rule_name, rule in coach.rules:
        tells = call_rule(rule_name, rule.on_digest, event)
        moments.extend(coach.voice.moments(ledger, tells, now))
    if weekly:
        add_picture(moments, coach.goals, coach.trackers, day)
    return moments


def day_news(
    day: date,
    goals: Sequence[Goal],
    trackers: Mapping[str, Tracker],
    lives: Mapping[str, Life],
    wins: tuple[tuple[str, str, str, float], ...],
) -> tuple[str, ...]:
    """What ``day`` held that its celebrations did not say, in sentences."""
    news = []
    for goal in goals:
        tracker, life = trackers.get(goal.name), lives.get(goal.name)
        if goal.limit or tracker is None or life is None or day not in tracker.days:
            continue
        now = tracker.snapshot(day)
        # A weekly goal is met on the day its week's total reaches the target.
        met = (
            now.met_today
            if goal.per == "day"
            else now.week_value >= now.target > now.week_value - now.today_value
        )
        gap = gap_closed(tracker, day)
        if met and not life.ever_met:
            news.append(f"{goal.called}: the target met for the first time.")
        elif met and life.wobbled:
            news.append(f"{goal.called}: back on target.")
        elif gap >= (2 if goal.per == "day" else 7):
            news.append(f"{goal.called}: the first win after {gap} quiet days.")
    places = len({source for source, *_ in wins})
    if places > 1:
        news.append(f"Progress in {places} places today.")
    return tuple(news)


def untitled(progress: Progress) -> Progress:
    """A private goal's progress without titles: rules cannot leak what they never see."""
    return replace(progress, last_win_title=None) if progress.goal.private else progress


def digest_wins(
    wins: Iterable[StoredWin], goals: Sequence[Goal], private_sources: set[str]
) -> tuple[tuple[str, str, str, float], ...]:
    """A digest's wins: (source, kind, title, value), a private source's or win's without its
    title, and none that counts against a limit."""
    return tuple(
        (
            w.source,
            w.kind,
            "" if w.source in private_sources or kept_private(w.details) else w.title,
            w.value,
        )
        for w in wins
        if not any(g.limit and g.counts(w.source, w.kind, w.tags) for g in goals)
    )
