"""Completed to-dos, the way each client writes them.

Done means STATUS:COMPLETED, a COMPLETED stamp or PERCENT-COMPLETE:100, and never
STATUS:CANCELLED (todoman counts a cancelled task as done; a cancelled task is not a win).
Each VTODO is judged as written, never expanded: Thunderbird and eM Client complete one
occurrence of a repeating task with a RECURRENCE-ID override while the series stays open,
Apple writes the completed occurrence as a new task with a new UID, and todoman drops the
RRULE from the completed one and starts the next under a new UID. So a completion is one
component, keyed by its UID and RECURRENCE-ID, and counts once, however often it is
re-opened and ticked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .values import categories_of, rid_text, text_of, time_of, to_aware

if TYPE_CHECKING:
    from icalendar import Calendar, Component

__all__ = ["Completion", "completions"]


@dataclass(frozen=True, slots=True)
class Completion:
    """A to-do that is done, as one VTODO (a task, or one occurrence of a repeating task)."""

    uid: str
    recurrence_id: str | None
    summary: str
    categories: tuple[str, ...]
    # When it was done, and which property said so; None when nothing in the file says.
    stamp: datetime | None
    dated_by: str | None


def _percent(component: Component) -> int | None:
    try:
        return int(text_of(component, "PERCENT-COMPLETE"))
    except ValueError:
        return None


def _is_done(component: Component) -> bool:
    status = text_of(component, "STATUS").upper()
    if status == "CANCELLED":
        return False
    return status == "COMPLETED" or "COMPLETED" in component or _percent(component) == 100


def _stamp(component: Component, name: str, zone: ZoneInfo) -> datetime | None:
    value = time_of(component, name)
    if isinstance(value, datetime):
        return to_aware(value, zone)
    if isinstance(value, date):
        # A day without a time: noon keeps it on that day whenever the user's day starts.
        return datetime.combine(value, time(12), zone)
    return None


def completions(calendar: Calendar, zone: ZoneInfo) -> list[Completion]:
    done: dict[tuple[str, str | None], Completion] = {}
    for component in calendar.subcomponents:
        if component.name != "VTODO" or not _is_done(component):
            continue
        original = time_of(component, "RECURRENCE-ID")
        rid = rid_text(original) if original is not None else None
        uid = str(component["UID"])
        stamp, dated_by = None, None
        for name in ("COMPLETED", "LAST-MODIFIED"):
            stamp = _stamp(component, name, zone)
            if stamp is not None:
                dated_by = name
                break
        done.setdefault(
            (uid, rid),
            Completion(
                uid=uid,
                recurrence_id=rid,
                summary=text_of(component, "SUMMARY"),
                categories=categories_of(component),
                stamp=stamp,
                dated_by=dated_by,
            ),
        )
    return list(done.values())
