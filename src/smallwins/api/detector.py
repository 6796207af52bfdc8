"""The detector contract: what a plugin implements to turn traces into wins."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from smallwins.api.win import Win, local_day


class DetectorOptions(BaseModel):
    """Base for a detector's options: the keys of its ``[sources.NAME]`` table.

    Unknown keys are errors, so a typo in the config is caught at start with the key named.
    A list or table defaults as ``Field(default=[])``: pydantic copies it for each model, and
    ``default_factory=list`` would cost every command a look at the builtin's signature.
    """

    # Built when first used: every command loads every plugin, and most of their detectors
    # are not configured.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


@dataclass(slots=True)
class Problem:
    """A bad record that a scan skipped: reported with its file and line, the scan goes on."""

    message: str
    path: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or ""
        if self.path and self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True, slots=True)
class SourceOffer:
    """A source a detector offers to watch a folder: what ``smallwins init`` writes into a
    starter config, and what ``smallwins run`` watches when there is no config.

    ``options`` are the ``[sources.NAME]`` keys (the detector's Options); ``comments`` give a
    line of explanation above any of them in the starter file; ``says`` is what the daemon
    logs when it watches this without a config. ``here`` is False for a guess that found
    nothing in the folder itself (a starter file may still show it; a run without config
    does not watch it). ``always`` offers a source that is there with a config too, unless
    the config has a source of that name (to redefine it, or ``enabled = false`` to drop it).
    """

    name: str
    detector: str
    options: dict[str, Any] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    says: str = ""
    here: bool = True
    always: bool = False


@dataclass(frozen=True, slots=True)
class RestDay:
    """A local day set aside (a holiday, a sick day): neither a win nor a miss for streaks."""

    day: date
    reason: str = ""


@dataclass(slots=True)
class ScanContext:
    """What a detector's ``scan`` gets: its source, its cursor and the user's clock.

    ``cursor`` is what the last successful scan saved (``None`` on the first scan). Call
    ``save_cursor`` with the new position; it is stored in the same transaction as the wins,
    and only if the scan finishes.
    """

    source: str
    cursor: Any
    timezone: ZoneInfo
    day_starts_at: time = time(4, 0)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("smallwins.detector"))
    new_cursor: Any = None
    problems: list[Problem] = field(default_factory=list)
    cursor_saved: bool = False
    rest_days: list[RestDay] | None = None
    next_scan_at: datetime | None = None
    next_scan_why: str = ""
    progress_done: float = 0
    progress_total: float | None = None
    progress_unit: str = ""
    revised: list[Win] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)

    @property
    def first_scan(self) -> bool:
        """True when this source has never been scanned: what it finds is history, not news."""
        return self.cursor is None

    def save_cursor(self, cursor: Any) -> None:
        """Remember where this scan got to. ``cursor`` must be JSON-serialisable."""
        self.new_cursor = cursor
        self.cursor_saved = True

    def report_problem(
        self, message: str, *, path: str | Path | None = None, line: int | None = None
    ) -> None:
        """Report a bad record that was skipped; the scan goes on with the records beside it."""
        self.problems.append(Problem(message, str(path) if path is not None else None, line))

    def revise(self, win: Win) -> None:
        """A win recorded before has changed (an edited line): its fields are replaced,
        it keeps its place and is not celebrated again. Stored with the scan's wins."""
        self.revised.append(win)

    def withdraw(self, key: str) -> None:
        """Take back the recorded win of ``key`` (a deleted line). Stored with the scan's wins."""
        self.withdrawn.append(key)

    def set_rest_days(self, days: Iterable[RestDay]) -> None:
        """Replace this source's rest days with ``days`` (all of them, past and future).

        Stored with the scan's wins; a scan that does not call this keeps the stored ones.
        """
        self.rest_days = list(days)

    def scan_again_at(self, when: datetime, why: str = "") -> None:
        """Ask for a scan at ``when`` (aware), e.g. when the next planned event ends.

        The daemon sleeps until the earliest time asked for; each scan asks afresh. ``why``
        says, for a person, what is left to read then ("~/x.csv is still being written"):
        ``run --once`` shows it if it cannot wait that long.
        """
        if self.next_scan_at is None or when < self.next_scan_at:
            self.next_scan_at = when
            self.next_scan_why = why

    def report_progress(self, done: float, total: float | None = None, unit: str = "") -> None:
        """How far this scan has got: ``done`` of ``total`` (None when not known) ``unit``
        (``"bytes"`` or a plural noun: ``"commits"``), for the progress bar that a scan
        taking more than a second shows on a terminal. It only stores the numbers, so it is
        cheap; call it per chunk read or per batch, not per byte."""
        self.progress_done = done
        self.progress_total = total
        self.progress_unit = unit

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC)

    def local_day(self, moment: datetime) -> date:
        """The user's local day of ``moment`` (a day starts at ``day_starts_at``)."""
        return local_day(moment, self.timezone, self.day_starts_at)


class Detector:
    """Reads one kind of trace. One instance per configured source.

    Subclasses set ``name`` (the value of ``detector =`` in the config), ``Options`` (a
    DetectorOptions subclass) and implement ``scan``. ``noun`` and ``plural`` name one win in
    messages ("your 3rd commit today"). ``interactive = True`` says its wins are made by the
    person at this machine (a commit, a hand-written win): they are celebrated at once, even
    in quiet hours, since the person is evidently awake. ``writable = True`` says it
    implements ``write``: a person can send it wins (the journal).
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    Options: ClassVar[type[DetectorOptions]] = DetectorOptions
    noun: ClassVar[str] = "win"
    plural: ClassVar[str] = ""
    interactive: ClassVar[bool] = False
    writable: ClassVar[bool] = False

    def __init__(self, source: str, options: DetectorOptions) -> None:
        self.source = source
        self.options = options

    def watch_paths(self) -> list[Path]:
        """Files or folders whose changes hint that a scan may find something new."""
        return []

    def is_relevant(self, path: Path) -> bool:
        """Whether a change at ``path`` (under a watched path) is worth a scan."""
        return True

    def describe(self) -> str:
        """A few words on what this source watches, for messages ("~/src/smallwins")."""
        return self.source

    def scan(self, context: ScanContext) -> Iterable[Win]:
        """Yield the wins found since ``context.cursor`` and call ``context.save_cursor``."""
        raise NotImplementedError(f"{type(self).__name__} must implement scan()")

    def write(self, win: Win) -> None:
        """Keep ``win``, written by a person, where the next ``scan`` finds it as new (a line
        appended to a journal). Only detectors with ``writable = True`` implement it: the
        inbox (``[inbox]``) hands them the wins it is sent. A ValueError says, for the person,
        what is wrong with the win (an empty title); nothing is kept then."""
        raise NotImplementedError(f"{type(self).__name__} does not take written wins")

    @classmethod
    def plural_noun(cls) -> str:
        return cls.plural or f"{cls.noun}s"
