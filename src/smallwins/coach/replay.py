"""Replaying the ledger's history through the rules with a simulated clock.

Nothing is sent and nothing is stored: the replay records the history, win by win, into a
ledger in memory, and ticks the coach's clock between wins as the days went by. Two replays of
one history say the same things at the same times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from smallwins.api.detector import RestDay
from smallwins.api.moment import Moment
from smallwins.coach.celebration import ScanInfo
from smallwins.coach.coach import Coach
from smallwins.coach.pipeline import Pipeline
from smallwins.ledger import MEMORY_URL, Ledger, StoredWin, open_ledger
from smallwins.plugins.source import Source, default_label


@dataclass(frozen=True, slots=True)
class Told:
    """A moment and when it would have been told (the coach holds it through quiet hours)."""

    at: datetime
    moment: Moment

    def to_json(self) -> dict[str, object]:
        return {**self.moment.to_json(), "at": self.at.isoformat()}


def _scan_info(win: StoredWin, sources: dict[str, Source]) -> ScanInfo:
    name = win.source
    source = sources.get(name)
    # A source no longer configured is named as the daemon named it by default.
    called = source.label if source else default_label(name)
    place = str(win.details.get("place") or called) if isinstance(win.details, dict) else ""
    return ScanInfo(
        name=name,
        label=source.detector.describe() if source else name,
        noun=source.detector.noun if source else "win",
        plural=source.detector.plural_noun() if source else "wins",
        private=source.settings.private if source else False,
        display=called,
        first_scan=False,
        history_keys=frozenset(),
        places={win.key: place} if place else {},
        interactive=bool(source and source.detector.interactive),
    )


def replay(
    history: Ledger,
    coach: Coach,
    sources: Sequence[Source],
    *,
    start: date | None = None,
    end: date | None = None,
) -> list[Told]:
    """What the coach would have told over the whole history, between ``start`` and ``end``."""
    by_name = {s.name: s for s in sources}
    wins = history.wins()
    memory = open_ledger(MEMORY_URL)
    pipeline = Pipeline(memory, coach, _nowhere)
    rest_days: dict[str, list[RestDay]] = {}
    for name, rest in history.rest_days():
        rest_days.setdefault(name, []).append(rest)
    for name, days in rest_days.items():
        memory.record(
            name,
            "",
            [],
            None,
            zone=coach.schedule.zone,
            day_starts_at=coach.schedule.day_starts_at,
            save_cursor=False,
            rest_days=days,
        )
    for experiment in history.experiments():
        added = memory.add_experiment(
            experiment.name, experiment.goal, experiment.start, experiment.days
        )
        if experiment.stopped is not None:
            memory.stop_experiment(added.id, experiment.stopped)
    if wins:
        pipeline.load(wins[0].occurred_at)
    clock = wins[0].occurred_at if wins else None

    def tick_until(moment: datetime) -> None:
        nonlocal clock
        while clock is not None and (tick := coach.schedule.next_clock(clock)) <= moment:
            pipeline.tick(tick)
            clock = tick

    for win in wins:
        if end is not None and coach.schedule.today(win.occurred_at) > end:
            break
        tick_until(win.occurred_at)
        scan = _scan_info(win, by_name)
        pipeline.record_wins(scan, win.detector, [win.as_win()], now=win.occurred_at)
        clock = max(clock, win.occurred_at) if clock else win.occurred_at
    if clock is not None:
        last_day = end or coach.schedule.today(clock)
        tick_until(coach.schedule.day_end(last_day) + timedelta(seconds=1))
    # Setbacks held back by their budget are not told: they fold into the next digest.
    told = [Told(m.due_at, m) for m in memory.moments() if m.group != "deferred"]
    memory.close()
    return [
        t
        for t in sorted(told, key=lambda t: (t.at, t.moment.id or 0))
        if (start is None or coach.schedule.today(t.at) >= start)
        and (end is None or coach.schedule.today(t.at) <= end)
    ]


def _nowhere(_moment: Moment) -> list[str]:
    return []
