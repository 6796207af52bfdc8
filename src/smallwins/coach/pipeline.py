"""One scan pipeline: what a source's scan found, recorded with what the coach makes of it.

The daemon, ``replay`` and the testing kit all go through it, so what replay and the kit show
is what the daemon would tell.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from smallwins.api.detector import RestDay, ScanContext
from smallwins.api.moment import Moment
from smallwins.api.win import Win
from smallwins.coach.celebration import ScanInfo
from smallwins.coach.coach import Coach
from smallwins.ledger import Ledger, LedgerView, StoredWin, WinBatch
from smallwins.plugins.scan import ScanResult, run_scan
from smallwins.plugins.source import Source


@dataclass(slots=True)
class Pipeline:
    """Scan, record, coach: a ledger, the coach that speaks for it, and where moments go."""

    ledger: Ledger
    coach: Coach
    targets_for: Callable[[Moment], Sequence[str]]
    # Live wins of one source within this window are told as one message.
    coalesce: timedelta = timedelta(0)

    def load(self, now: datetime) -> None:
        """Rebuild the coach's picture of every goal from the ledger."""
        coach = self.coach
        self.ledger.read(lambda view: coach.load(view, now))

    def context(self, source: Source, log: logging.Logger | None = None) -> ScanContext:
        """A scan's context: the source's stored cursor, the user's zone and day start."""
        return ScanContext(
            source=source.name,
            cursor=self.ledger.cursor(source.name),
            timezone=self.coach.schedule.zone,
            day_starts_at=self.coach.schedule.day_starts_at,
            log=log or logging.getLogger(f"smallwins.source.{source.name}"),
        )

    def scan(self, source: Source, *, now: datetime) -> tuple[ScanResult, list[StoredWin]]:
        """Scan ``source`` here and now, and record what it found; the new wins."""
        context = self.context(source)
        result, batch = self.detect(source, context)
        return result, self.record(source, context, result, batch, now=now)

    def detect(self, source: Source, context: ScanContext) -> tuple[ScanResult, WinBatch]:
        """Run the source's detector, each valid win put into a batch for the ledger as the
        detector yields it, so that readying a long history for the ledger overlaps with
        the detector's own reading."""
        schedule = self.coach.schedule
        batch = self.ledger.batch(
            source.name,
            source.detector_name,
            zone=schedule.zone,
            day_starts_at=schedule.day_starts_at,
        )
        return run_scan(source.detector, context, keep=batch.add), batch

    def record(
        self,
        source: Source,
        context: ScanContext,
        result: ScanResult,
        batch: WinBatch | None = None,
        *,
        now: datetime,
    ) -> list[StoredWin]:
        """Record a scan's result (its wins, or the batch ``detect`` made of them; cursor;
        rest days) and the moments they make."""
        changed = result.rest_days is not None and set(result.rest_days) != {
            rest for _, rest in self.ledger.rest_days(sources=[source.name])
        }
        if (result.revised or result.withdrawn) and self.ledger.amend(
            source.name,
            revised=result.revised,
            withdrawn=result.withdrawn,
            zone=self.coach.schedule.zone,
            day_starts_at=self.coach.schedule.day_starts_at,
        ):
            # Amending is idempotent, so done before the scan's own transaction it is safe
            # against a crash between them; the coach's picture of the goals is then redrawn.
            self.load(now)
        scan = ScanInfo.of(
            source, result.wins, first_scan=context.first_scan, rest_days_changed=changed
        )
        return self.record_wins(
            scan,
            source.detector_name,
            result.wins if batch is None else batch,
            now=now,
            cursor=result.cursor,
            save_cursor=result.cursor_saved,
            rest_days=result.rest_days,
        )

    def record_wins(
        self,
        scan: ScanInfo,
        detector: str,
        wins: Iterable[Win],
        *,
        now: datetime,
        cursor: Any = None,
        save_cursor: bool = False,
        rest_days: Sequence[RestDay] | None = None,
    ) -> list[StoredWin]:
        """Record wins of the source ``scan`` describes, in one transaction with the moments
        the coach makes of them at ``now``."""
        coach, coalesce = self.coach, self.coalesce
        if self.ledger.shared:
            scan = replace(scan, shared=True)
        try:
            return self.ledger.record(
                scan.name,
                detector,
                wins,
                cursor,
                zone=coach.schedule.zone,
                day_starts_at=coach.schedule.day_starts_at,
                moments_for=lambda view, new: coach.on_scan(
                    view, scan, new, now=now, coalesce=coalesce
                ),
                targets_for=self.targets_for,
                save_cursor=save_cursor,
                rest_days=rest_days,
            )
        except BaseException:
            # The trackers may have taken in wins that the ledger did not keep: on a shared
            # ledger the next scan counts the goals again.
            coach.news_mark = None
            raise

    def tick(self, now: datetime) -> list[Moment]:
        """Let the coach close the days that ended and tell a digest that is due."""
        coach, shared = self.coach, self.ledger.shared

        def make(view: LedgerView) -> list[Moment]:
            if shared:
                # Other machines recorded wins since: the coach's picture is drawn again.
                coach.load(view, now)
            return coach.on_clock(view, now)

        return self.ledger.tell(make, self.targets_for)
