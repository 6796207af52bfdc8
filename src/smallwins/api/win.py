"""The win: one piece of progress found by a detector."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any


@dataclass(frozen=True, slots=True)
class Win:
    """One piece of progress. ``key`` is unique within its source and stable across rescans.

    ``history`` marks a win found while backfilling (a repository added later, say): it is
    recorded and counted but not celebrated on its own. ``details={"private": True}`` keeps
    this one win's title on the machine, as a private source does for all of its wins.
    """

    key: str
    title: str
    occurred_at: datetime
    kind: str = "win"
    value: float = 1.0
    unit: str = ""
    tags: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    history: bool = False


def kept_private(details: Mapping[str, Any]) -> bool:
    """Whether a win's ``details`` ask that its title never leave the machine."""
    return details.get("private") is True


def local_day(moment: datetime, tz: Any, day_starts_at: time) -> date:
    """The user's local day for ``moment``: a day starts at ``day_starts_at``, not midnight,
    when the wall clock first shows it (once in the hour repeated when clocks go back; when
    they jump, in spring, past it, at the jump)."""
    # Through UTC, so a wall time that does not exist (in a spring-forward gap) is dated by
    # the instant it stands for. A plain datetime with a fixed offset (what fromisoformat
    # gives) already stands for one instant: it goes straight to ``tz``, the same result.
    if type(moment) is not datetime or type(moment.tzinfo) is not timezone:
        moment = moment.astimezone(UTC)
    shift = _SHIFTS.get(day_starts_at)
    if shift is None:
        shift = timedelta(hours=day_starts_at.hour, minutes=day_starts_at.minute)
        if len(_SHIFTS) < 100:
            _SHIFTS[day_starts_at] = shift
    local = moment.astimezone(tz)
    day = (local - shift).date()
    if local.fold:
        # The hour repeated when clocks go back, its second pass: a day that began in the
        # first pass has begun, though the wall clock shows an earlier time again.
        begun = datetime.combine(day + timedelta(days=1), day_starts_at, tzinfo=tz)
        if begun.timestamp() <= moment.timestamp():
            return day + timedelta(days=1)
    return day


_SHIFTS: dict[time, timedelta] = {}


def problems_with(win: object) -> list[str]:
    """What makes ``win`` unfit for the ledger; empty when it is a valid Win."""
    if type(win) is Win and _plainly_valid(win):
        return []
    return _problems(win)


def _plainly_valid(win: Win) -> bool:
    """The common case, cheaply: a Win whose fields are exactly str, datetime, float or int,
    tuple and dict, and pass every check of ``_problems``. False sends a win to those checks,
    which accept more types (subclasses, a list of tags, any Mapping) and name each problem."""
    key, kind, value, tags, occurred_at = win.key, win.kind, win.value, win.tags, win.occurred_at
    if not (
        type(key) is str
        and 0 < len(key) <= 500
        and type(win.title) is str
        and type(kind) is str
        and kind
        and type(occurred_at) is datetime
        and occurred_at.utcoffset() is not None
        and (type(value) is float or type(value) is int)
        and math.isfinite(value)
        and type(win.unit) is str
        and type(tags) is tuple
        and type(win.details) is dict
    ):
        return False
    try:
        "".join(tags)  # a TypeError unless every tag is a str
    except TypeError:
        return False
    return True


def _problems(win: object) -> list[str]:
    if not isinstance(win, Win):
        return [f"expected a Win, got {type(win).__name__}"]
    problems = []
    if not isinstance(win.key, str) or not win.key or len(win.key) > 500:
        problems.append("key must be a non-empty string of at most 500 characters")
    if not isinstance(win.title, str):
        problems.append("title must be a string")
    if not isinstance(win.kind, str) or not win.kind:
        problems.append("kind must be a non-empty string")
    if not isinstance(win.occurred_at, datetime) or win.occurred_at.utcoffset() is None:
        problems.append("occurred_at must be a datetime with a time zone")
    if (
        isinstance(win.value, bool)
        or not isinstance(win.value, int | float)
        or not math.isfinite(win.value)
    ):
        problems.append("value must be a finite number")
    if not isinstance(win.unit, str):
        problems.append("unit must be a string")
    if not isinstance(win.tags, tuple | list) or not all(isinstance(t, str) for t in win.tags):
        problems.append("tags must be a tuple of strings")
    if not isinstance(win.details, Mapping):
        problems.append("details must be a mapping")
    return problems
