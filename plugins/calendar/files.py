"""What one calendar file gives a scan: wins, the occurrences still to come, rest days.

When an occurrence counts: once it has ended, within ``lookback`` days, never cancelled. A
changed file is read again in full, and then a recurring series must not count twice: an
occurrence of a series that ended before the previous scan was seen by that scan (or
deliberately left out), so only one-off events and to-dos that ended earlier are new there,
say a gym visit written down afterwards. That way re-timing a whole series does not turn its
past weeks into new wins under new ids.

What is history (summed up, not celebrated one by one): everything on a first scan, and what
a later scan finds that happened before the previous scan and more than a day ago, such as
a calendar added to a watched folder. An event written down an hour late is still news.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from smallwins import Win

from .cursor import FileState, Planned
from .options import CalendarOptions, Patterns
from .parse import Unreadable, parse
from .recurrence import Occurrence, expand
from .todos import Completion, completions
from .vdir import Item

__all__ = ["Clock", "Rules", "due_wins", "read_file"]

# Occurrences are planned this far ahead; a file with series is read again after that.
AHEAD = timedelta(days=28)
RECENT = timedelta(days=1)
MAX_PLANNED = 200
MAX_REST_DAYS = 366
KEY_MAX = 500
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Rules:
    """What counts, from the source's options."""

    events: Patterns
    categories: Patterns
    rest: Patterns
    todos: bool

    @classmethod
    def of(cls, options: CalendarOptions) -> Rules:
        events, categories, rest = options.events, options.categories, options.rest
        return cls(Patterns(events), Patterns(categories), Patterns(rest), options.todos)

    def counts(self, summary: str, categories: tuple[str, ...]) -> bool:
        return self.events.match(summary) or self.categories.match_any(categories)

    def rests(self, summary: str, categories: tuple[str, ...]) -> bool:
        return self.rest.match(summary) or self.rest.match_any(categories)

    def wanted(self, summary: str, categories: tuple[str, ...]) -> bool:
        return self.counts(summary, categories) or self.rests(summary, categories)


@dataclass(frozen=True, slots=True)
class Clock:
    """The times a scan judges by, in the user's zone and days."""

    now: datetime
    horizon: datetime
    since: datetime | None
    first: bool
    zone: ZoneInfo
    local_day: Callable[[datetime], date]

    @property
    def until(self) -> datetime:
        return self.now + AHEAD

    def history(self, moment: datetime) -> bool:
        if self.first:
            return True
        return self.since is not None and moment <= self.since and moment < self.now - RECENT


def _key(kind: str, uid: str, recurrence_id: str | None) -> str:
    key = f"{kind}:{uid}" + (f"/{recurrence_id}" if recurrence_id else "")
    if len(key) <= KEY_MAX:
        return key
    return f"{kind}:{hashlib.blake2b(key.encode(), digest_size=20).hexdigest()}"


def _planned(occurrence: Occurrence) -> Planned:
    return Planned(
        key=_key("event", occurrence.uid, occurrence.recurrence_id),
        title=occurrence.summary or ", ".join(occurrence.categories) or "Event",
        start=occurrence.start,
        end=occurrence.end,
        all_day=occurrence.all_day,
        uid=occurrence.uid,
        recurrence_id=occurrence.recurrence_id,
        categories=occurrence.categories,
    )


def event_win(planned: Planned, place: str, path: str, history: bool) -> Win:
    span = max(planned.end - planned.start, timedelta(0))
    if planned.all_day:
        # The exclusive end of an all-day event is the next midnight, a day too late.
        occurred_at = max(planned.start, planned.end - _SECOND)
        value, unit = max(1.0, round(span / timedelta(days=1))), "days"
    else:
        occurred_at, value, unit = planned.end, round(span / timedelta(minutes=1), 1), "minutes"
    return Win(
        key=planned.key,
        title=planned.title,
        occurred_at=occurred_at,
        kind="event",
        value=value,
        unit=unit,
        tags=(place, *planned.categories),
        details={
            "place": place,
            "file": path,
            "uid": planned.uid,
            "recurrence_id": planned.recurrence_id,
            "start": planned.start.isoformat(),
            "end": planned.end.isoformat(),
            "all_day": planned.all_day,
            "categories": list(planned.categories),
        },
        history=history,
    )


def _todo_win(
    done: Completion, when: datetime, dated_by: str, place: str, path: str, history: bool
) -> Win:
    return Win(
        key=_key("todo", done.uid, done.recurrence_id),
        title=f"Ticked off: {done.summary}" if done.summary else "Ticked off a task",
        occurred_at=when,
        kind="todo",
        tags=(place, *done.categories),
        details={
            "place": place,
            "file": path,
            "uid": done.uid,
            "recurrence_id": done.recurrence_id,
            "summary": done.summary,
            "completed_at": when.isoformat(),
            "dated_by": dated_by,
            "categories": list(done.categories),
        },
        history=history,
    )


def due_wins(state: FileState, item: Item, clock: Clock) -> list[Win]:
    """The planned occurrences of an unchanged file that have ended; they leave the plan."""
    place = item.place(state.name)
    due = [p for p in state.planned if p.end <= clock.now]
    state.planned = [p for p in state.planned if p.end > clock.now]
    return [event_win(p, place, item.path, clock.history(p.end)) for p in due]


def _rest_days(occurrence: Occurrence, clock: Clock) -> list[date]:
    if occurrence.all_day:
        first = occurrence.start.date()
        last = max(first, (occurrence.end - _SECOND).date())
    else:
        first = clock.local_day(occurrence.start)
        last = max(first, clock.local_day(occurrence.end - _SECOND))
    count = min((last - first).days + 1, MAX_REST_DAYS)
    return [first + timedelta(days=n) for n in range(count)]


@dataclass(slots=True)
class _Found:
    wins: list[Win] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    rest: set[tuple[date, str]] = field(default_factory=set)
    undated: dict[str, datetime] = field(default_factory=dict)
    more_after: bool = False


def read_file(
    item: Item, data: bytes, state: FileState, old: FileState | None, clock: Clock, rules: Rules
) -> list[Win]:
    """Read a new or changed file into ``state`` (size, time and hash already set)."""
    try:
        parsed = parse(data)
    except Unreadable as exc:
        # What the file said last time still holds until it can be read again.
        if old is not None:
            state.name, state.until, state.planned = old.name, old.until, old.planned
            state.rest, state.undated = old.rest, old.undated
        state.problem = (str(exc), exc.line)
        return due_wins(state, item, clock)
    place = item.place(parsed.name)
    found = _Found()
    if rules.events or rules.categories or rules.rest:
        expansion = expand(
            parsed.calendar, clock.horizon, clock.until, clock.zone, parsed.broken, rules.wanted
        )
        found.more_after = expansion.more_after
        for occurrence in expansion.occurrences:
            if not occurrence.cancelled:
                _judge(occurrence, item, place, old, clock, rules, found)
    if rules.todos:
        for done in completions(parsed.calendar, clock.zone):
            _judge_todo(done, item, place, old, clock, found)
    found.planned.sort(key=lambda p: p.end)
    state.until = clock.until if found.more_after else None
    if len(found.planned) > MAX_PLANNED:
        del found.planned[MAX_PLANNED:]
        state.until = found.planned[-1].end
    horizon_day = clock.local_day(clock.horizon)
    kept = {(day, reason) for day, reason in (old.rest if old else []) if day < horizon_day}
    state.name = parsed.name
    state.planned = found.planned
    state.rest = sorted(found.rest | kept)
    state.undated = found.undated
    # Sets inside recurring-ical-events leave the order to chance: tell them as they happened.
    found.wins.sort(key=lambda win: (win.occurred_at, win.key))
    broken = parsed.broken
    if broken.count:
        state.problem = (
            f"{broken.count} of {parsed.total} entries skipped: {broken.reason}",
            broken.line,
        )
    return found.wins


def _judge(
    occurrence: Occurrence,
    item: Item,
    place: str,
    old: FileState | None,
    clock: Clock,
    rules: Rules,
    found: _Found,
) -> None:
    if rules.rests(occurrence.summary, occurrence.categories):
        reason = occurrence.summary or ", ".join(occurrence.categories)
        found.rest.update((day, reason) for day in _rest_days(occurrence, clock))
    if not rules.counts(occurrence.summary, occurrence.categories) or occurrence.end > clock.until:
        return
    if occurrence.end > clock.now:
        found.planned.append(_planned(occurrence))
        return
    if occurrence.end < clock.horizon:
        return
    seen_before = clock.since is not None and occurrence.end <= clock.since
    if old is not None and occurrence.recurrence_id is not None and seen_before:
        return
    history = clock.history(occurrence.end)
    found.wins.append(event_win(_planned(occurrence), place, item.path, history))


def _judge_todo(
    done: Completion, item: Item, place: str, old: FileState | None, clock: Clock, found: _Found
) -> None:
    when, dated_by = done.stamp, done.dated_by
    if when is None or dated_by is None:
        key = _key("todo", done.uid, done.recurrence_id)
        when = (old.undated.get(key) if old else None) or clock.now
        found.undated[key] = when
        dated_by = "first seen"
    # A stamp from a clock that runs ahead must not date a win after it was seen.
    when = min(when, clock.now)
    if when >= clock.horizon:
        found.wins.append(_todo_win(done, when, dated_by, place, item.path, clock.history(when)))
