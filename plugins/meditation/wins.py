"""A meditation session as a win: whether it counts, its key, title and details, and whether
it is news or history."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from smallwins import ScanContext, Win

from .detect import Format
from .options import MeditationOptions
from .session import Broken, Item, Reading, Session

# What of a note (or a preset, a track title) is kept in a win's details: the ledger is no
# place for a runaway field.
MAX_NOTE = 1000
MAX_EXTRA = 200
_SLUG = re.compile(r"[\W_]+")


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")


def _minutes_text(minutes: float) -> str:
    if minutes < 1:
        return f"{minutes:.1f}"
    return str(int(minutes + 0.5))


@dataclass(slots=True)
class Scan:
    """What one scan carries from file to file."""

    context: ScanContext
    now: datetime
    reading: Reading
    files: dict[str, Any]
    latest: dict[str, datetime]
    latest_after: dict[str, datetime]
    single: bool = False
    files_after: dict[str, Any] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    deferred: bool = False
    # The scan's progress: the bytes of the files before this one, and of all of them.
    bytes_done: int = 0
    bytes_total: int = 0

    def read_to(self, position: int) -> None:
        self.context.report_progress(self.bytes_done + position, self.bytes_total, "bytes")

    def threshold(self, app: str) -> datetime | None:
        """Sessions of ``app`` after this are news; None: nothing seen yet, all is history."""
        return self.latest.get(app) or (max(self.latest.values()) if self.latest else None)


def outcome_of(
    options: MeditationOptions, scan: Scan, shown: str, fmt: Format, item: Item
) -> Win | str | None:
    """``item``'s win if it counts and is new in this scan, or why it is skipped."""
    if isinstance(item, Broken):
        return item.message
    try:
        win = win_of(options, scan, shown, fmt, item)
    except (ValueError, OverflowError) as exc:
        return str(exc)
    if win is None or win.key in scan.seen:
        return None
    scan.seen.add(win.key)
    return win


def win_of(
    options: MeditationOptions, scan: Scan, shown: str, fmt: Format, session: Session
) -> Win | None:
    """A session's win, or None when it does not count."""
    activity = session.activity
    minutes = session.seconds / 60
    if options.activities and activity not in options.activities:
        return None
    if session.seconds <= 0 or minutes < options.min_minutes:
        return None
    start = session.start.astimezone(UTC)
    if not 1900 <= start.year <= 2200:
        raise ValueError(f"a session in the year {start.year} is out of range")
    app = _slug(session.app) or fmt.name
    threshold = scan.threshold(app)
    news = threshold is not None and start > threshold and not scan.context.first_scan
    newest = min(start, scan.now)
    if app not in scan.latest_after or scan.latest_after[app] < newest:
        scan.latest_after[app] = newest
    capped = minutes > options.max_minutes
    value = round(min(minutes, options.max_minutes), 2)
    label = activity.replace("-", " ")
    details: dict[str, Any] = {
        "app": session.app or fmt.label,
        "format": fmt.name,
        "activity": activity,
        "duration_seconds": round(session.seconds, 3),
        "file": shown,
        "line": session.line,
    }
    for name, extra in session.extra.items():
        details[name] = extra[:MAX_EXTRA] if isinstance(extra, str) else extra
    if session.app:
        details["place"] = session.app
    if session.note:
        details["note"] = session.note[:MAX_NOTE]
    if capped:
        details.update(capped=True, raw_minutes=round(minutes, 2), capped_at=options.max_minutes)
    return Win(
        # Not the duration: a timer left running and fixed in the app must not count twice.
        key=f"{start:%Y-%m-%dT%H:%M:%SZ}/{activity}",
        title=f"{_minutes_text(value)} min {label}" + (" (capped)" if capped else ""),
        occurred_at=session.start,
        kind=activity,
        value=value,
        unit="min",
        tags=(app, activity),
        details=details,
        history=not news,
    )
