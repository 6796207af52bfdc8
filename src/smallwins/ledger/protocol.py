"""The ledger's promise, as named operations: what every implementation does, and nothing more.

Whoever reads or writes wins, cursors, moments or the outbox goes through these operations;
no SQL and no connection leaves the ledger's package. ``LedgerView`` is what the coach may ask
while the wins (or the clock tick) that it answers for are being written, inside the same
transaction; ``Ledger`` adds opening, recording and delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from datetime import time as dtime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from smallwins.api.detector import RestDay
from smallwins.api.moment import Moment
from smallwins.api.win import Win
from smallwins.ledger.records import (
    DayTotal,
    Experiment,
    FrozenSend,
    MachineState,
    News,
    PendingDelivery,
    SetbackMark,
    SourceState,
    StoredWin,
    TargetState,
    WinMark,
)

T = TypeVar("T")


class LedgerView(Protocol):
    """Reads of wins, rest days and moments; inside a write, they see what it wrote so far."""

    # -- wins ----------------------------------------------------------------------------

    def wins(
        self,
        *,
        since: datetime | None = None,
        sources: Sequence[str] | None = None,
        days: tuple[date, date] | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        excluding: Sequence[int] = (),
    ) -> list[StoredWin]:
        """Wins by when they happened; ``days`` is an inclusive range of local days;
        ``excluding`` leaves out wins by id."""

    def count_wins(
        self, source: str | None = None, *, day: date | None = None, until: datetime | None = None
    ) -> int:
        """How many wins (of a source, of a local day, up to an instant, inclusive)."""

    def day_totals(
        self, sources: Sequence[str], *, excluding: Sequence[int] = ()
    ) -> list[DayTotal]:
        """The sources' wins summed by local day and kind."""

    def win_marks(self, sources: Sequence[str], *, excluding: Sequence[int] = ()) -> list[WinMark]:
        """The sources' wins, each reduced to source, day, kind, value and tags."""

    def rest_days(
        self,
        *,
        sources: Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[tuple[str, RestDay]]:
        """Rest days as ``(source, RestDay)``, by day; ``since`` and ``until`` are inclusive."""

    def news_mark(self) -> int:
        """Where the ledger's changes stand now: a mark for ``news_since``."""

    def news_since(self, mark: int, *, excluding: Sequence[int] = ()) -> News:
        """What was recorded after ``mark``, in the order it was committed (on a shared
        ledger, by every machine): the wins added but those in ``excluding``, and the sources
        whose wins changed otherwise."""

    def experiments(self, goal: str | None = None) -> list[Experiment]:
        """The experiments declared (on ``goal``, or on any), by start day."""

    # -- moments -------------------------------------------------------------------------

    def moment_told(self, dedupe_key: str) -> bool:
        """Whether a moment with this key was ever made (told, waiting or held back)."""

    def last_told_at(self, kind: str, goal: str | None) -> datetime | None:
        """When the last moment of ``kind`` about ``goal`` (None: about no goal) was made."""

    def times_told(self, kind: str, goal: str) -> list[datetime]:
        """When each moment of ``kind`` about ``goal`` was made, oldest first."""

    def last_words(self, kind: str) -> tuple[str, str] | None:
        """Title and message of the last moment of ``kind`` told (held-back ones are not)."""

    def last_setback(self, goal: str | None) -> datetime | None:
        """When the last setback told about ``goal`` was due."""

    def last_setback_any(self) -> SetbackMark | None:
        """When the last setback told about any goal was due, and when the last was made."""

    def count_celebrations(self, since: datetime | None) -> int:
        """Celebrations made after ``since`` (all of them when None)."""

    def last_digest_at(self) -> datetime | None:
        """When the last digest was made."""

    def held_back(self, since: datetime | None, *, except_goals: Sequence[str] = ()) -> list[str]:
        """Messages held back for the digest (setbacks past their budget) made after
        ``since``, but those about ``except_goals``."""

    def burst_started(self, group: str) -> datetime | None:
        """When the oldest moment of ``group`` that waits, never tried, was made."""

    def move_burst(self, group: str, due: datetime) -> None:
        """Make every moment of ``group`` that waits, never tried, due at ``due``."""


class WinBatch(Protocol):
    """The wins of one scan on their way into the ledger (``Ledger.batch``), each taken as the
    detector yields it: the work of making it storable then overlaps with the detector's own
    (a first scan's ``git log`` writes for most of a second). Record it as ``record``'s wins;
    a key added twice keeps its first win."""

    def add(self, win: Win) -> None: ...

    def __iter__(self) -> Iterator[Win]: ...


class Ledger(LedgerView, Protocol):
    """The progress ledger: wins, cursors, moments and the outbox, kept durably."""

    @property
    def location(self) -> str:
        """Where it is, for a person to read (a path; a URL without its password)."""

    @property
    def schema_version(self) -> int: ...

    def close(self) -> None: ...

    def __enter__(self) -> Ledger: ...

    def __exit__(self, *exc: object) -> None: ...

    def read(self, fn: Callable[[LedgerView], T]) -> T:
        """Run ``fn`` with a consistent view of the ledger, outside any write."""

    # -- machines and the lead ------------------------------------------------------------

    @property
    def shared(self) -> bool:
        """Whether daemons of several machines may record into it at once (a server): then
        a machine's live celebrations go to its local targets, and the person's moments are
        told by the lead alone. A ledger that is not shared has one machine, always the lead."""

    @property
    def machine(self) -> str:
        """The machine this ledger records for: "" until ``join``."""

    def join(self, machine: str, label: str, settings: dict[str, Any] | None = None) -> bool:
        """Record for ``machine`` (a host's name as ``label``) from now on: its cursors are
        its own and its contact and ``settings`` (the person's, from its config) are noted.
        False when a daemon of the same machine is connected already (a state folder copied
        to two hosts)."""

    def machines(self) -> list[MachineState]:
        """Every machine that joined, the most recently seen first."""

    def heartbeat(self, lease_seconds: float) -> bool:
        """Note this machine's contact, and take or renew the lead for ``lease_seconds``
        (by the ledger's clock) unless another machine holds it; True while this one leads."""

    def lead(self) -> str | None:
        """The machine whose lease runs now; None when none does."""

    # -- wins and cursors ----------------------------------------------------------------

    def cursor(self, source: str) -> Any:
        """The source's cursor on this machine as last recorded (None before its first
        scan)."""

    def batch(
        self, source: str, detector: str, *, zone: ZoneInfo, day_starts_at: dtime
    ) -> WinBatch:
        """An empty batch for ``record`` of wins of ``source``, dated in ``zone``."""

    def record(
        self,
        source: str,
        detector: str,
        wins: Iterable[Win],
        cursor: Any,
        *,
        zone: ZoneInfo,
        day_starts_at: dtime,
        moments_for: Callable[[LedgerView, list[StoredWin]], list[Moment]] | None = None,
        targets_for: Callable[[Moment], Sequence[str]] = ...,
        save_cursor: bool = True,
        rest_days: Sequence[RestDay] | None = None,
    ) -> list[StoredWin]:
        """Add the wins not yet recorded (a ``batch`` of them, or any wins), the cursor, the
        rest days and the moments they make, in one transaction. ``moments_for`` gets a view
        inside it and the new wins; each moment it returns gets an outbox row per target
        ``targets_for`` names. Returns the new wins."""

    def amend(
        self,
        source: str,
        *,
        revised: Iterable[Win] = (),
        withdrawn: Sequence[str] = (),
        zone: ZoneInfo,
        day_starts_at: dtime,
    ) -> int:
        """Change recorded wins of ``source`` in one transaction: each of ``revised`` replaces
        the fields of the win of its key (the win keeps its id and is not new again), each
        key of ``withdrawn`` takes its win back. Keys not recorded are left alone, so
        amending twice changes nothing more. Returns how many wins changed."""

    def tell(
        self,
        make: Callable[[LedgerView], list[Moment]],
        targets_for: Callable[[Moment], Sequence[str]],
    ) -> list[Moment]:
        """Store the moments ``make`` returns in one transaction; returns those not told before."""

    def add_moment(self, moment: Moment, targets: Sequence[str]) -> bool:
        """Store a moment and its outbox rows; False when its dedupe key was told before."""

    def moments(self, *, since: datetime | None = None) -> list[Moment]:
        """Every moment made at or after ``since``, oldest first."""

    def outbox_targets(self, moment_id: int) -> list[str]:
        """The targets a moment was queued for."""

    # -- experiments ---------------------------------------------------------------------

    def add_experiment(self, name: str, goal: str, start: date, days: int) -> Experiment:
        """Declare an experiment on ``goal``: ``days`` local days from ``start``."""

    def stop_experiment(self, experiment_id: int, last_day: date) -> None:
        """End an experiment early: ``last_day`` is the last day it counts."""

    def remove_experiment(self, experiment_id: int) -> None:
        """Take an experiment back (one stopped before any of its days ended)."""

    # -- sources -------------------------------------------------------------------------

    def note_scan(
        self,
        source: str,
        detector: str,
        *,
        error: str | None,
        problems: Sequence[str] = (),
        paused_until: datetime | None = None,
    ) -> int:
        """Record a scan's outcome; returns the number of failures in a row."""

    def source_state(self, name: str) -> SourceState | None:
        """One source's last scan, without counting its wins (cheap: called on every scan)."""

    def source_states(self) -> list[SourceState]:
        """Every source's last scan and number of wins."""

    # -- the outbox ----------------------------------------------------------------------

    def due(
        self, now: datetime, targets: Sequence[str], *, shared: Sequence[str] = ()
    ) -> list[PendingDelivery]:
        """Pending rows of these targets whose moment is due and whose target is not held;
        frozen rows are not among them. On a shared ledger, the rows of ``shared`` targets
        only while this machine leads, and those of the other targets only of moments this
        machine made."""

    def unsent(self) -> list[PendingDelivery]:
        """Every outbox row not sent yet, whatever its moment's time or its target's state:
        pending, held back, or frozen while a send's outcome is unknown; oldest first."""

    def next_due(self, targets: Sequence[str], *, shared: Sequence[str] = ()) -> datetime | None:
        """When the earliest pending or frozen row of these targets that ``due`` or
        ``frozen`` would give can next be tried."""

    def freeze(
        self,
        outbox_ids: Sequence[int],
        target: str,
        *,
        kind: str,
        category: str,
        title: str,
        body: str,
        shared: bool = False,
    ) -> int | None:
        """The rows are about to be sent as this one message: keep its words, and take the rows
        out of what ``due`` composes, until they are sent or thawed. Returns the send's id;
        None, and nothing changed, when the rows are no longer pending (another daemon took
        them) or, for a ``shared`` target on a shared ledger, when this machine's lease has
        run out: the claim and that check are one transaction."""

    def frozen(
        self, now: datetime, targets: Sequence[str], *, shared: Sequence[str] = ()
    ) -> list[FrozenSend]:
        """The frozen messages of these targets whose target is not held, oldest first; on a
        shared ledger, as ``due`` chooses its rows."""

    def mark_sent(self, outbox_ids: Sequence[int], target: str) -> None:
        """The rows were delivered: done, and the target is well again."""

    def mark_failed(
        self,
        outbox_ids: Sequence[int],
        target: str,
        error: str,
        retry_at: datetime,
        *,
        thaw: bool = True,
    ) -> int:
        """Count a failed attempt and hold the target until ``retry_at``; returns its failures.

        ``thaw``: the failure is certain (refused, an error answer), so frozen rows are pending
        again and may be composed anew; otherwise they stay frozen, to be re-sent word for word."""

    def target_failures(self, target: str) -> int:
        """Failures of the target in a row."""

    def outbox_counts(self) -> dict[str, int]:
        """Rows not yet sent (pending or frozen), and how many of them have failed at least
        once."""

    def target_states(self) -> list[TargetState]:
        """How delivery to each target stands."""

    # -- moving a ledger -------------------------------------------------------------------

    def count_rows(self, table: str) -> int:
        """How many rows ``table`` (one of ``copying.TABLES``) holds."""

    def export_rows(self, table: str, after: int = 0) -> tuple[list[tuple[Any, ...]], int | None]:
        """A page of ``table``'s rows, in the form every implementation stores alike, from
        the page that starts after ``after``; and where the next page starts (None: none)."""

    def import_rows(self, table: str, rows: Sequence[Sequence[Any]]) -> int:
        """Add rows another ledger's ``export_rows`` gave, in one transaction; a row whose
        unique key is here already (a win's source and key, a moment's dedupe key, ...) is
        left as it is, so a copy can run again. Returns how many rows were added."""
