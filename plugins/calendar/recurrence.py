"""Events in a window of time: every occurrence of every series, in real time zones.

recurring-ical-events does the hard part (RRULE, RDATE with periods, EXDATE, RECURRENCE-ID
overrides with RANGE=THISANDFUTURE, overrides without their series, X-WR-TIMEZONE). Around it,
this module keeps one broken series from losing the file, refuses rules that would run away
before asking for them, and names each occurrence the way it was first planned: by its UID and
original start, so that an occurrence moved or edited later is still the same one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .parse import Broken
from .values import categories_of, rid_text, text_of, time_of, to_aware

if TYPE_CHECKING:
    from icalendar import Calendar, Component

__all__ = ["Expansion", "Occurrence", "expand"]

# A calendar event repeats at most hourly; a rule that yields more is junk or an attack.
MAX_PER_DAY = 24
# dateutil steps through a rule from its DTSTART, so a dense rule from long ago is slow
# even when only this month is asked for.
MAX_STEPS = 150_000
MAX_PER_SERIES = 20_000
_PER_DAY = {"SECONDLY": 86_400, "MINUTELY": 1_440, "HOURLY": 24}
_PAD = timedelta(days=1)
_MONTH_DAYS = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of an event, its times aware. ``recurrence_id`` is None for a one-off."""

    uid: str
    recurrence_id: str | None
    start: datetime
    end: datetime
    all_day: bool
    summary: str
    categories: tuple[str, ...]
    cancelled: bool


@dataclass(slots=True)
class Expansion:
    occurrences: list[Occurrence]
    # Whether anything may happen after the window (a series, a later event): if so, the
    # file must be read again before the window runs out.
    more_after: bool


def _start(component: Component) -> date:
    start = time_of(component, "DTSTART")
    if start is None:
        raise ValueError("no readable DTSTART")
    return start


def _library_rid(moment: date) -> datetime:
    # How recurring-ical-events names an override (OccurrenceID.recurrence_id): UTC, naive.
    if not isinstance(moment, datetime):
        return datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _unshifted(start: date, moved: date, original: date, zone: ZoneInfo) -> date:
    try:
        return start - (moved - original)
    except TypeError:
        return to_aware(start, zone) - (to_aware(moved, zone) - to_aware(original, zone))


def _sequence(component: Component) -> int:
    try:
        return int(component.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def _rules(component: Component) -> list[Any]:
    rules = component.get("RRULE")
    if rules is None:
        return []
    return list(rules) if isinstance(rules, list) else [rules]


def _rule_problem(component: Component, stop: datetime, zone: ZoneInfo) -> str | None:
    """Why the component's rules cannot be expanded safely, or None when they can."""
    for rule in _rules(component):
        freq = str((rule.get("FREQ") or ["?"])[0]).upper()
        interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
        per_day = _PER_DAY.get(freq, 1) / interval
        if freq not in ("HOURLY", "MINUTELY", "SECONDLY"):
            per_day *= len(rule.get("BYHOUR") or [0])
        if freq not in ("MINUTELY", "SECONDLY"):
            per_day *= len(rule.get("BYMINUTE") or [0])
        if freq != "SECONDLY":
            per_day *= len(rule.get("BYSECOND") or [0])
        if per_day > MAX_PER_DAY:
            return f"repeats {per_day:,.0f} times a day (at most {MAX_PER_DAY} are read)"
        if _never(rule):
            return "has a rule that never happens (a day its months do not have)"
        start = to_aware(_start(component), zone)
        days = max(0.0, (stop - start).total_seconds() / 86_400)
        if per_day * days > MAX_STEPS:
            return f"repeats too often since {start:%Y-%m-%d} to be read ({freq} rule)"
    return None


def _never(rule: Any) -> bool:
    # dateutil looks for a match up to the year 9999 before it gives up: seconds of work.
    days = [int(day) for day in rule.get("BYMONTHDAY") or []]
    months = [int(month) for month in rule.get("BYMONTH") or []] or list(range(1, 13))
    if not days:
        return False
    return not any(0 < abs(day) <= _MONTH_DAYS.get(month, 31) for day in days for month in months)


def _may_recur_after(component: Component, stop: datetime, zone: ZoneInfo) -> bool:
    if "RRULE" in component or "RDATE" in component:
        return True
    return to_aware(_start(component), zone) > stop


def expand(
    calendar: Calendar,
    start: datetime,
    stop: datetime,
    zone: ZoneInfo,
    broken: Broken,
    wanted: Callable[[str, tuple[str, ...]], bool],
) -> Expansion:
    """The occurrences that overlap ``start``..``stop`` of the series that matter.

    A series matters when ``wanted`` accepts the title and categories of one of its events:
    most of a calendar is other people's meetings, and leaving those out before expanding
    is what keeps a large file quick. Series that cannot be expanded are left out and noted
    in ``broken``.
    """
    groups: dict[str, list[Component]] = {}
    for component in calendar.subcomponents:
        if component.name == "VEVENT":
            groups.setdefault(str(component["UID"]), []).append(component)
    lookup = _Lookup()
    events: list[Component] = []
    more_after = False
    for group in groups.values():
        if not any(wanted(lookup.facts(e).summary, lookup.facts(e).categories) for e in group):
            continue
        try:
            problem = next(filter(None, (_rule_problem(e, stop, zone) for e in group)), None)
            more_after = more_after or any(_may_recur_after(e, stop, zone) for e in group)
        except Exception as exc:  # icalendar values of any shape: a bad event, skipped
            problem = f"bad event: {exc}"
        if problem is not None:
            broken.add(problem)
            continue
        events.extend(group)
        lookup.add(group)
    if not events:
        return Expansion([], more_after)
    found: list[Occurrence] = []
    for one in _series(calendar, events, broken):
        try:
            occurrences = list(
                itertools.islice(one.between(start - _PAD, stop + _PAD), MAX_PER_SERIES + 1)
            )
            if len(occurrences) > MAX_PER_SERIES:
                broken.add(f"repeats more than {MAX_PER_SERIES:,} times in the window")
                occurrences = occurrences[:MAX_PER_SERIES]
            found.extend(lookup.occurrence(occ, zone) for occ in occurrences)
        except Exception as exc:  # one broken series must not lose the rest of the file
            broken.add(f"bad recurrence: {exc}")
    return Expansion(found, more_after)


def _series(calendar: Calendar, events: list[Component], broken: Broken) -> list[Any]:
    import recurring_ical_events  # type: ignore[import-untyped]  # ships no type hints

    uids = {str(event["UID"]) for event in events}
    try:
        query = recurring_ical_events.of(_calendar_with(calendar, events), skip_bad_series=True)
        series = list(query.series)
    except Exception:  # a fault it does not skip by itself: read each series on its own
        series = []
    missing = uids - {str(one.uid) for one in series}
    if not missing:
        return series
    # A series dropped as bad, or all of them after a fault: each alone, to keep the good
    # ones and say why the others are skipped.
    for uid in sorted(missing):
        alone = _calendar_with(calendar, [e for e in events if str(e["UID"]) == uid])
        try:
            series.extend(recurring_ical_events.of(alone).series)
        except Exception as exc:  # as above
            broken.add(f"bad recurrence: {exc}")
    return series


def _calendar_with(calendar: Calendar, events: Iterable[Component]) -> Calendar:
    from icalendar import Calendar

    alone = Calendar()
    for key, value in calendar.items():
        alone[key] = value
    for component in calendar.subcomponents:
        if component.name == "VTIMEZONE":
            alone.add_component(component)
    for event in events:
        alone.add_component(event)
    return alone


@dataclass(frozen=True, slots=True)
class _Facts:
    """What an occurrence needs from the component behind it, read once per component."""

    summary: str
    categories: tuple[str, ...]
    cancelled: bool
    recurring: bool
    start: date | None
    original: date | None  # its RECURRENCE-ID, for an override
    this_and_future: bool


class _Lookup:
    """The component behind each occurrence, and what is read from it once."""

    def __init__(self) -> None:
        self._by_id: dict[tuple[str, datetime | None], Component] = {}
        self._facts: dict[int, _Facts] = {}

    def add(self, events: list[Component]) -> None:
        for event in events:
            rid = time_of(event, "RECURRENCE-ID")
            key = (str(event["UID"]), _library_rid(rid) if rid is not None else None)
            known = self._by_id.get(key)
            # As recurring-ical-events decides between copies: the highest SEQUENCE wins.
            if known is None or _sequence(event) > _sequence(known):
                self._by_id[key] = event

    def facts(self, component: Component) -> _Facts:
        facts = self._facts.get(id(component))
        if facts is None:
            original = time_of(component, "RECURRENCE-ID")
            rid_range = original and component["RECURRENCE-ID"].params.get("RANGE", "")
            facts = _Facts(
                summary=text_of(component, "SUMMARY"),
                categories=categories_of(component),
                cancelled=text_of(component, "STATUS").upper() == "CANCELLED",
                recurring="RRULE" in component or "RDATE" in component,
                start=time_of(component, "DTSTART"),
                original=original,
                this_and_future=str(rid_range).upper() == "THISANDFUTURE",
            )
            self._facts[id(component)] = facts
        return facts

    def occurrence(self, occ: Any, zone: ZoneInfo) -> Occurrence:
        uid = str(occ.id.uid)
        component = self._by_id.get((uid, occ.id.recurrence_id))
        if component is None:
            # X-WR-TIMEZONE moved a floating RECURRENCE-ID: read the occurrence itself.
            component = occ.as_component(False)
        facts = self.facts(component)
        if facts.original is None:
            rid = rid_text(occ.start) if facts.recurring else None
        elif facts.this_and_future and facts.start is not None:
            # Later occurrences are shifted as this one was; their own id is the unshifted time.
            rid = rid_text(_unshifted(occ.start, facts.start, facts.original, zone))
        else:
            rid = rid_text(facts.original)
        return Occurrence(
            uid=uid,
            recurrence_id=rid,
            start=to_aware(occ.start, zone),
            end=to_aware(occ.end, zone),
            all_day=not isinstance(occ.start, datetime),
            summary=facts.summary,
            categories=facts.categories,
            cancelled=facts.cancelled,
        )
