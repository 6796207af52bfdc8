"""What every implementation stores the same way: times as epoch seconds, JSON as text.

The SQL differs by dialect; these conversions of values and rows do not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from smallwins.api.win import Win, local_day
from smallwins.ledger.records import SourceState, dumps

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
