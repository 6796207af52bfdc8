"""What every implementation stores the same way: times as epoch seconds, JSON as text.

The SQL differs by dialect; these conversions of values and rows do not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from smallwins.api.win import Win, local_day
from smallwins.ledger.records import MachineState, SourceState, dumps

# The columns ``source_state`` reads, in its order.
SOURCE_COLUMNS = (
    "name, detector, last_scan_at, last_ok_at, last_error, failures, paused_until, problems"
)


def ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def dt(stamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(stamp, UTC) if stamp is not None else None


def source_state(row: Sequence[Any], counts: dict[str, int]) -> SourceState:
    """A ``sources`` row (``SOURCE_COLUMNS``) with its number of wins."""
    return SourceState(
        name=row[0],
        detector=row[1],
        last_scan_at=dt(row[2]),
        last_ok_at=dt(row[3]),
        last_error=row[4],
        failures=row[5],
        paused_until=dt(row[6]),
        problems=json.loads(row[7]),
        wins=counts.get(row[0], 0),
    )


def revised_fields(
    win: Win, zone: ZoneInfo, day_starts_at: dtime
) -> tuple[str, str, str, float, date, float, str, str, str]:
    """What ``amend`` writes over a recorded win: kind, title, occurred_at, ts, day, value,
    unit, tags and details."""
    at = win.occurred_at
    return (
        win.kind,
        win.title,
        at.isoformat(),
        at.timestamp(),
        local_day(at, zone, day_starts_at),
        float(win.value),
        win.unit,
        dumps(list(win.tags)),
        dumps(dict(win.details)),
    )


# The machines sharing a ledger, the one in touch last first: the rows ``machine_state`` reads.
MACHINES_QUERY = (
    "SELECT id, label, first_seen, last_contact, settings FROM machines"
    " ORDER BY last_contact DESC, id"
)


def machine_state(row: Sequence[Any]) -> MachineState:
    return MachineState(
        row[0],
        row[1],
        datetime.fromtimestamp(row[2], UTC),
        datetime.fromtimestamp(row[3], UTC),
        json.loads(row[4]),
    )


COPY_PAGE = 5000  # rows of a large table that ``ledger copy`` moves at a time


def export_page(
    read: Callable[[str, Sequence[Any]], list[Any]],
    select: str,
    key: str | None,
    after: int,
    mark: str,
) -> tuple[list[tuple[Any, ...]], int | None]:
    """The rows of ``select`` after ``after`` by ``key`` (a whole small table when ``key`` is
    None), without their key, and the key to go on from (None at the end). ``mark`` is the
    dialect's parameter marker."""
    if key is None:
        return [tuple(row) for row in read(select, ())], None
    rows = read(f"{select} WHERE {key} > {mark} ORDER BY {key} LIMIT {COPY_PAGE}", (after,))
    more = rows[-1][0] if len(rows) == COPY_PAGE else None
    return [tuple(row[1:]) for row in rows], more
