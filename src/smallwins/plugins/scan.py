"""Running one detector scan on its own: validation of what it yields, junk kept out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from smallwins.api.detector import Detector, Problem, RestDay, ScanContext
from smallwins.api.win import Win, problems_with

log = logging.getLogger("smallwins.scan")

MAX_JUNK_LOGGED = 5


@dataclass(slots=True)
class ScanResult:
    """What one scan found: valid wins, the new cursor, skipped records and rejected junk."""

    wins: list[Win]
    cursor: Any
    cursor_saved: bool
    problems: list[Problem] = field(default_factory=list)
    junk: list[str] = field(default_factory=list)
    rest_days: list[RestDay] | None = None
    next_scan_at: datetime | None = None
    next_scan_why: str = ""
    revised: list[Win] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)


def run_scan(
    detector: Detector, context: ScanContext, keep: Callable[[Win], object] | None = None
) -> ScanResult:
    """Call ``detector.scan`` and keep only valid wins; exceptions propagate to the caller.

    ``keep`` is given each valid win as soon as the detector yields it."""
    wins: list[Win] = []
    junk: list[str] = []
    produced = detector.scan(context)
    if produced is None:
        produced = []
    for item in produced:
        problems = problems_with(item)
        if problems:
            junk.append(f"{item!r:.80}: {'; '.join(problems)}")
            if len(junk) <= MAX_JUNK_LOGGED:
                log.warning(
                    "source %s: detector %s yielded an invalid win, skipped: %s",
                    context.source,
                    detector.name,
                    junk[-1],
                )
            continue
        wins.append(item)
        if keep is not None:
            keep(item)
    if len(junk) > MAX_JUNK_LOGGED:
        log.warning("source %s: %d invalid wins skipped in all", context.source, len(junk))
    cursor = context.new_cursor if context.cursor_saved else context.cursor
    rest_days = None
    if context.rest_days is not None:
        rest_days = [r for r in context.rest_days if _valid_rest_day(r, junk)]
    next_scan_at, why = context.next_scan_at, context.next_scan_why
    if next_scan_at is not None and (
        not isinstance(next_scan_at, datetime) or next_scan_at.utcoffset() is None
    ):
        junk.append(f"scan_again_at({next_scan_at!r}): needs a datetime with a time zone")
        next_scan_at = None
    if not isinstance(why, str):
        junk.append(f"scan_again_at(why={why!r:.80}): needs text")
        why = ""
    revised = [w for w in context.revised if _valid_win(w, junk)]
    withdrawn = [k for k in context.withdrawn if _valid_key(k, junk)]
    return ScanResult(
        wins,
        cursor,
        context.cursor_saved,
        list(context.problems),
        junk,
        rest_days,
        next_scan_at,
        why if next_scan_at is not None else "",
        revised,
        withdrawn,
    )


def _valid_win(item: object, junk: list[str]) -> bool:
    problems = problems_with(item)
    if problems:
        junk.append(f"revise({item!r:.80}): {'; '.join(problems)}")
    return not problems


def _valid_key(item: object, junk: list[str]) -> bool:
    if isinstance(item, str) and item:
        return True
    junk.append(f"withdraw({item!r:.80}): needs a key")
    return False


def _valid_rest_day(item: object, junk: list[str]) -> bool:
    if isinstance(item, RestDay) and type(item.day) is date and isinstance(item.reason, str):
        return True
    junk.append(f"{item!r:.80}: expected RestDay(day=date, reason=str)")
    return False
