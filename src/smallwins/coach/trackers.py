"""A goal's tracker from what the ledger holds, and what a tracker says about its days."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from smallwins.api.goal import Goal
from smallwins.api.progress import Tracker
from smallwins.api.win import kept_private
from smallwins.ledger import LedgerView, News


def has_days(tracker: Tracker | None) -> bool:
    return tracker is not None and tracker.first_day is not None


def behind(tracker: Tracker | None, yesterday: date) -> bool:
    """Whether a tracker has days before today left open (or none at all)."""
    if tracker is None:
        return True
    if tracker.first_day is None or tracker.first_day > yesterday:
        return False
    return tracker.closed_through is None or tracker.closed_through < yesterday


def closed(tracker: Tracker | None, day: date) -> bool:
    return bool(tracker and tracker.closed_through and day <= tracker.closed_through)


def tracker_from(ledger: LedgerView, goal: Goal, *, without: Sequence[int] = ()) -> Tracker:
    """A goal's tracker with every day of its history from the ledger, but the wins whose ids
    are in ``without``."""
    tracker = Tracker(goal)
    tracker.rest = {rest.day for _, rest in ledger.rest_days(sources=goal.sources)}
    if goal.tags:
        for mark in ledger.win_marks(goal.sources, excluding=without):
            if goal.counts(mark.source, mark.kind, mark.tags):
                tracker.add_day(mark.day, 1, mark.value, mark.value)
    else:
        for total in ledger.day_totals(goal.sources, excluding=without):
            if not goal.kinds or total.kind in goal.kinds:
                tracker.add_day(total.day, total.count, total.total, total.largest)
    last = ledger.wins(sources=goal.sources, limit=20, newest_first=True, excluding=without)
    for win in last:
        if goal.counts(win.source, win.kind, win.tags):
            tracker.last_win_at = win.occurred_at
            shown = "" if kept_private(win.details) else win.title
            tracker.last_win_title, tracker.last_win_value = shown, win.value
            tracker.last_win_day = win.day
            break
    return tracker


def take_in(
    news: News,
    goals: Sequence[Goal],
    trackers: dict[str, Tracker],
    private_sources: Collection[str],
    yesterday: date,
) -> set[str]:
    """Add the wins of ``news`` (what other machines recorded) to the goals' trackers; the
    goals to count again from the ledger instead: a source amended or with new rest days, a
    win on a day before today (closed, or to be closed as a load would), a day ended since
    (only the lead's clock closes days)."""
    stale = {
        g.name
        for g in goals
        if news.redrawn.intersection(g.sources) or behind(trackers.get(g.name), yesterday)
    }
    for win in news.wins:
        private = win.source in private_sources or kept_private(win.details)
        for goal in goals:
            if goal.name in stale or not goal.counts(win.source, win.kind, win.tags):
                continue
            tracker = trackers.get(goal.name)
            if tracker is None or win.day <= yesterday:
                stale.add(goal.name)
            else:
                tracker.add(win.day, win.occurred_at, win.value, "" if private else win.title)
    return stale
