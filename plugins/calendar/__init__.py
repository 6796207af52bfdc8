"""The calendar detector: planned things that happened, and tasks ticked off.

A source points at .ics files: one file (an export, a subscribed calendar saved to disk), a
folder of them, or a vdir tree as vdirsyncer writes it and khal and todoman read it. An event
occurrence whose title or categories match the source's patterns is a win once it has ended;
a completed to-do is a win when ``todos = true``; events matching ``rest`` mark rest days.

The daemon is told when the next matching occurrence ends (``scan_again_at``), so a gym visit
is celebrated shortly after it ends, without polling. Files are read only when they change
(see cursor.py), so a large vdir costs a ``stat`` per file on a rescan. What only a scan
needs (reading files, recurrences, the cursor; icalendar and recurring-ical-events) is imported
by the scan: every command loads every plugin and builds every configured source, and a short
command such as ``smallwins done`` must stay quick.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smallwins import Detector, DetectorError, DetectorOptions, RestDay, ScanContext, Win, hookimpl

from .options import CalendarOptions
from .vdir import Item, Layout, tilde

if TYPE_CHECKING:
    from .cursor import FileState
    from .files import Clock, Rules

__all__ = ["CalendarDetector", "CalendarOptions", "register_detectors"]


class CalendarDetector(Detector):
    """Finished events that match the source's patterns, and completed to-dos."""

    name = "calendar"
    noun = "event"
    description = "Events you planned and did, and tasks you ticked off (.ics files, vdirs)."
    Options = CalendarOptions

    options: CalendarOptions

    def __init__(self, source: str, options: DetectorOptions) -> None:
        if not isinstance(options, CalendarOptions):
            raise TypeError(f"CalendarDetector needs CalendarOptions, got {type(options).__name__}")
        if options.counts_nothing():
            raise ValueError(
                'nothing would count: set events = ["Gym*", ...], categories = [...], '
                "todos = true or rest = [...]"
            )
        super().__init__(source, options)
        self._layout = Layout(options.path)

    @cached_property
    def _rules(self) -> Rules:
        from .files import Rules

        return Rules.of(self.options)

    def watch_paths(self) -> list[Path]:
        return self._layout.watch_paths()

    def is_relevant(self, path: Path) -> bool:
        return self._layout.is_relevant(path)

    def describe(self) -> str:
        roots = self._layout.roots()
        if len(roots) == 1:
            return tilde(roots[0])
        common = os.path.commonpath(roots) if roots else os.sep
        if common != os.sep:
            return tilde(common)
        return ", ".join(os.path.basename(root) for root in roots) or ", ".join(self.options.path)

    def _rules_fingerprint(self, context: ScanContext) -> dict[str, Any]:
        # Changing what counts reads every file again; what it finds in the past is history.
        options = self.options
        return {
            "events": options.events,
            "categories": options.categories,
            "rest": options.rest,
            "todos": options.todos,
            "lookback": options.lookback,
            "zone": str(context.timezone),
            "day_starts_at": context.day_starts_at.isoformat(),
        }

    def scan(self, context: ScanContext) -> Iterator[Win]:
        from . import cursor
        from .files import Clock

        now = context.now()
        rules = self._rules_fingerprint(context)
        known, since, reset = cursor.load(context.cursor, rules)
        items, failures = self._layout.items()
        if not items and not self._layout.found_any:
            raise DetectorError("; ".join(f"{tilde(path)} {why}" for path, why in failures))
        for path, why in failures:
            context.report_problem(why, path=tilde(path))
        clock = Clock(
            now=now,
            horizon=now - timedelta(days=self.options.lookback),
            since=since,
            first=context.first_scan or reset,
            zone=context.timezone,
            local_day=context.local_day,
        )
        states: dict[str, FileState] = {}
        for item in items:
            found = self._scan_file(item, known.get(item.path), clock)
            if found is None:
                continue
            wins, state = found
            states[item.path] = state
            yield from wins
            if state.problem is not None:
                message, line = state.problem
                context.report_problem(message, path=tilde(item.path), line=line)
        context.set_rest_days(
            RestDay(day, reason)
            for day, reason in sorted({rest for state in states.values() for rest in state.rest})
        )
        wake = _next_wake(states.values(), now)
        if wake is not None:
            context.scan_again_at(wake)
        context.save_cursor(cursor.dump(states, rules, now))

    def _scan_file(
        self, item: Item, old: FileState | None, clock: Clock
    ) -> tuple[list[Win], FileState] | None:
        from .cursor import FileState
        from .files import due_wins, read_file
        from .parse import Unreadable, fingerprint, read

        try:
            stat = os.stat(item.path)
        except OSError:
            return None  # gone since the folder was listed: the next scan settles it
        expired = old is not None and old.until is not None and clock.now >= old.until
        same_stat = old is not None and (old.size, old.mtime) == (stat.st_size, stat.st_mtime_ns)
        if old is not None and same_stat and not expired:
            return due_wins(old, item, clock), old
        state = FileState(size=stat.st_size, mtime=stat.st_mtime_ns, hash="")
        try:
            data = read(item.path, self.options.max_file_mib)
        except Unreadable as exc:
            if old is not None:
                # Kept as it was, so a file that cannot be read now loses nothing planned.
                old.problem = (str(exc), exc.line)
                old.size, old.mtime = stat.st_size, stat.st_mtime_ns
                return due_wins(old, item, clock), old
            state.problem = (str(exc), exc.line)
            return [], state
        state.hash = fingerprint(data)
        if old is not None and not expired and old.hash == state.hash:
            old.size, old.mtime = state.size, state.mtime
            return due_wins(old, item, clock), old
        return read_file(item, data, state, old, clock, self._rules), state


def _next_wake(states: Any, now: datetime) -> datetime | None:
    times = [p.end for state in states for p in state.planned if p.end > now]
    times += [state.until for state in states if state.until is not None and state.until > now]
    return min(times, default=None)


@hookimpl
def register_detectors(register: Callable[[type[Detector]], None]) -> None:
    register(CalendarDetector)
