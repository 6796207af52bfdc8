"""What the weekly digest's picture shows: the week's days, strength and the gain on the usual
week, per goal, as plain numbers.

The numbers are kept in the digest's moment (its payload, in the ledger), not the picture's
bytes: a few hundred bytes instead of kilobytes in every outbox row, and a digest claimed again
after a crash is drawn again from the same numbers, to the same picture. The picture leaves the
machine, so it gets goals' names, counts and kinds only, never a win's title (DESIGN rule 9).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from smallwins.api.goal import Goal
from smallwins.api.moment import Moment
from smallwins.api.progress import Tracker, week_start

# A phone shows a picture about 400 px wide: more goals than this would be unreadable.
MOST_GOALS = 4


def week_picture(
    goals: Sequence[Goal], trackers: Mapping[str, Tracker], day: date
) -> dict[str, Any]:
    """The picture of the week that ``day`` ends, as JSON-ready numbers; no goals when none
    has a day of history."""
    first = week_start(day)
    days = [first + timedelta(days=n) for n in range(7)]
    shown: list[dict[str, Any]] = []
    for goal in goals:
        tracker = trackers.get(goal.name)
        if tracker is None or tracker.first_day is None or len(shown) == MOST_GOALS:
            continue
        progress = tracker.snapshot(day)
        shown.append(
            {
                "name": goal.called,
                # A count's unit is its kind, plural: "sessions", never what they were.
                "unit": goal.plural if goal.metric == "count" else goal.unit,
                "per": goal.per,
                "limit": goal.limit,
                "values": [round(tracker.days.get(d, 0.0), 2) for d in days],
                "rest": [d in tracker.rest for d in days],
                "target": round(progress.target, 2),
                "strength": round(progress.strength, 3),
                "week": round(progress.week_value, 2),
                "usual": None if progress.baseline is None else round(progress.baseline, 2),
            }
        )
    return {"week": first.isoformat(), "goals": shown}


def add_picture(
    moments: Sequence[Moment], goals: Sequence[Goal], trackers: Mapping[str, Tracker], day: date
) -> None:
    """Give the weekly digest among ``moments`` the numbers of its picture."""
    picture = week_picture(goals, trackers, day)
    if not picture["goals"]:
        return  # nothing to draw yet: the words alone
    for moment in moments:
        if moment.category == "digest":
            moment.payload["picture"] = picture
