"""Reading a component's values as plain Python, however the file wrote them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from icalendar import Component

__all__ = ["categories_of", "one", "rid_text", "text_of", "time_of", "to_aware"]


def one(component: Component, name: str) -> Any:
    """A property's value; the first one when a file repeats what should be there once."""
    value = component.get(name)
    return (value[0] if value else None) if isinstance(value, list) else value


def text_of(component: Component, name: str) -> str:
    value = one(component, name)
    return "" if value is None else " ".join(str(value).split())


def categories_of(component: Component) -> tuple[str, ...]:
    # CATEGORIES may be written once with commas or several times; each holds a list.
    raw: Any = component.get("CATEGORIES")
    found: list[str] = []
    for prop in raw if isinstance(raw, list) else [raw] if raw is not None else []:
        for category in getattr(prop, "cats", None) or [prop]:
            text = " ".join(str(category).split())
            if text and text not in found:
                found.append(text)
    return tuple(found)


def time_of(component: Component, name: str) -> date | None:
    """A date or date-time property, or None when it is absent, repeated or unreadable."""
    try:
        value = getattr(component.get(name), "dt", None)
    except ValueError:  # icalendar's BrokenCalendarProperty: the file has junk there
        return None
    return value if isinstance(value, date) else None


def to_aware(moment: date, zone: ZoneInfo) -> datetime:
    """A date is local midnight; a floating time is local time in ``zone``."""
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(), zone)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def rid_text(moment: date) -> str:
    """A recurrence id as text: UTC when the time is aware, as written when it is floating."""
    if not isinstance(moment, datetime):
        return moment.strftime("%Y%m%d")
    if moment.tzinfo is None:
        return moment.strftime("%Y%m%dT%H%M%S")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
