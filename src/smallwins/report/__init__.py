"""The report page: each goal's progress as one self-contained HTML file.

``history`` replays each goal's tracker day by day, ``charts`` draws it as inline SVG with a
text equivalent, ``page`` puts it together; ``write`` writes the file atomically, so a person
(or a browser reloading it) never reads half of one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from smallwins.coach.coach import Coach
from smallwins.errors import SmallwinsError
from smallwins.ledger import Ledger
from smallwins.report import history, page

DEFAULT_DAYS = 365

__all__ = ["DEFAULT_DAYS", "ReportError", "build", "write"]


class ReportError(SmallwinsError):
    """A report asked for what cannot be: a usage error (exit 2)."""

    exit_code = 2


def build(
    coach: Coach,
    ledger: Ledger,
    now: datetime,
    *,
    start: date | None = None,
    end: date | None = None,
    goals: Sequence[str] = (),
) -> str:
    """The page for ``coach``'s goals (or those named) from ``ledger``, drawn from ``start``
    to ``end`` (a year to today by default); its numbers are those of today."""
    today = coach.schedule.today(now)
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ReportError(f"--from {start} is after --to {end}: give a --from before --to")
    known = {goal.name: goal for goal in coach.goals}
    missing = [name for name in goals if name not in known]
    if missing:
        raise ReportError(
            f"no goal named {', '.join(missing)}; the goals are: {', '.join(known) or 'none'}"
        )
    chosen = [known[name] for name in goals] if goals else coach.goals
    found = history.gather(coach, ledger, today, chosen, min(end, today), start)
    return page.render(found, start=start, end=end, made=now, zone=coach.schedule.zone)


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all, private to its owner (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
