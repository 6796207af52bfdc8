"""Reading ``--at``: when a win happened, as a person writes it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_AGO = re.compile(r"^(\d+)\s*(m|min|mins|minutes?|h|hours?|d|days?)\s+ago$")
_DAY_CLOCK = re.compile(r"^(today|yesterday)(?:\s+(\d{1,2}):(\d{2}))?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}

HINT = 'write it as 2026-11-30T18:30, "yesterday 18:30", "18:30" or "2 hours ago"'


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """The moment ``text`` names, aware, in ``zone``; a ValueError saying how to write it."""
    said = " ".join(text.lower().split())
    local = now.astimezone(zone)
    ago = _AGO.match(said)
    if ago:
        return local - timedelta(**{_UNITS[ago.group(2)[0]]: int(ago.group(1))})
    day_clock = _DAY_CLOCK.match(said)
    clock = _CLOCK.match(said)
    if day_clock or clock:
        day = local.date()
        if day_clock and day_clock.group(1) == "yesterday":
            day -= timedelta(days=1)
        found = day_clock or clock
        assert found is not None
        hour, minute = (found.group(found.re.groups - 1), found.group(found.re.groups))
        if hour is None:
            return local if day == local.date() else local - timedelta(days=1)
        try:
            return datetime(day.year, day.month, day.day, int(hour), int(minute), tzinfo=zone)
        except ValueError:
            raise ValueError(f"--at {text!r}: {hour}:{minute} is not a time of day") from None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--at {text!r} is not a time I can read: {HINT}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
