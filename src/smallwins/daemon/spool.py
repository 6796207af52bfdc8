"""The spool: while a shared ledger's server is away, this machine records into a SQLite
ledger of its own in the state folder, and drains it into the shared one when it is back.

The spool opens when a scan cannot reach the server. Each source's scan then goes on from
the cursor the server last gave (kept as scans read and record) and records into the spool,
with the same promises (a win once per source and key, wins and cursor in one transaction).
Live wins are celebrated from the spool to this machine's ``local`` targets; the person's
moments (milestones, totals, bests...) are not made there.

When the server answers again, what the spool's outbox could not send yet moves to the
shared ledger's outbox, and each source's spooled wins are recorded into it in one
transaction with this machine's cursor, idempotently (a win another machine recorded
meanwhile is not doubled), and the coach makes the person's moments then, on the shared
ledger, told once by the lead; the live celebrations, told already, are not told again. Then
the spool's file is removed. A drain that was stopped is simply run again: wins already in
the shared ledger are not recorded twice, and their moments were made with them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smallwins.api.moment import Moment
from smallwins.api.win import Win
from smallwins.coach.celebration import ScanInfo, burst_words
from smallwins.coach.life import Life
from smallwins.coach.pipeline import Pipeline
from smallwins.daemon.threads import in_thread, now_utc
from smallwins.delivery.deliverer import Deliverer
from smallwins.ledger import (
    Ledger,
    LedgerUnreachable,
    PendingDelivery,
    StoredWin,
    WinBatch,
    open_ledger,
    sqlite_url,
)
from smallwins.plugins.scan import ScanResult

if TYPE_CHECKING:
    from smallwins.api.detector import ScanContext
    from smallwins.coach.coach import Coach
    from smallwins.daemon.daemon import Daemon
    from smallwins.plugins.source import Source

log = logging.getLogger("smallwins.daemon")

# How often the spool's outbox is looked at while it is open (seconds).
DELIVER_SECONDS = 1.0


class Spool:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.path: Path = daemon.paths.spool_file
        self._lock = threading.RLock()
        # Held while the spool's outbox is told: by its loop, and by the drain, which tells
        # what waits before the spool goes; one sender at a time tells each message once.
        self._sending = threading.Lock()
        self._ledger: Ledger | None = None
        self._sender: Deliverer | None = None
        # Each source's cursor as the server last gave it (detector, cursor): where its scans
        # go on from in the spool.
        self._cursors: dict[str, tuple[str, Any]] = {}
        if daemon.ledger.shared and self.path.exists():  # left by a daemon stopped while away
            self._open()

    @property
    def open(self) -> bool:
        """Whether scans record into the spool (until it is drained)."""
        return self._ledger is not None

    def _open(self) -> Ledger:
        if self._ledger is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._ledger = open_ledger(sqlite_url(self.path))
            self._sender = self._deliverer(self._ledger)
            log.info("recording into the spool %s until the ledger answers again", self.path)
        return self._ledger

    def _pipeline(self, spool: Ledger) -> Pipeline:
        """The daemon's coach on the spool: only this machine's own moments are told."""
        main = self.daemon.pipeline

        def targets_for(moment: Moment) -> Sequence[str]:
            return main.targets_for(moment) if moment.of_machine else []

        return Pipeline(spool, main.coach, targets_for, main.coalesce)

    # -- scans --------------------------------------------------------------------------------

    def context(self, source: Source) -> ScanContext:
        """A scan's context: from the shared ledger, or from the spool while it is open (or
        when the server cannot be reached: the spool opens then)."""
        while True:
            if not self.open:
                try:
                    context = self.daemon.pipeline.context(source)
                except LedgerUnreachable as exc:
                    self._away(exc)
                else:
                    self._cursors[source.name] = (source.detector_name, context.cursor)
                    return context
            with self._lock:
                if self._ledger is not None:  # not drained meanwhile
                    self._seed(self._ledger, source.name)
                    return self._pipeline(self._ledger).context(source)

    def _away(self, exc: LedgerUnreachable) -> None:
        """A scan found the server away: said once, and the spool opened."""
        if not self.daemon.ledger.shared:
            raise exc
        self.daemon.outage.failed(exc)
        with self._lock:
            self._open()

    def _seed(self, spool: Ledger, name: str) -> None:
        """Give the spool the source's cursor from the server, before its first scan there."""
        if spool.cursor(name) is not None:
            return
        detector, cursor = self._cursors.get(name, ("", None))
        if cursor is None:  # a first scan belongs on the server, where the history is
            raise LedgerUnreachable(f"source {name} waits for the ledger: its cursor is there")
        zone, starts = self.daemon.coach.schedule.zone, self.daemon.coach.schedule.day_starts_at
        spool.record(name, detector, [], cursor, zone=zone, day_starts_at=starts)

    def record(
        self, source: Source, context: ScanContext, result: ScanResult, batch: WinBatch
    ) -> list[StoredWin]:
        """Record a scan's result into the shared ledger, or into the spool while it is open
        (or when the server cannot be reached: the spool opens then, from the cursor the
        scan started at, which the server did not move)."""
        while True:
            now = now_utc()
            if not self.open:
                try:
                    new = self.daemon.pipeline.record(source, context, result, batch, now=now)
                except LedgerUnreachable as exc:
                    self._cursors[source.name] = (source.detector_name, context.cursor)
                    self._away(exc)
                else:
                    if result.cursor_saved:
                        self._cursors[source.name] = (source.detector_name, result.cursor)
                    return new
            with self._lock:
                if self._ledger is not None:  # not drained meanwhile
                    self._seed(self._ledger, source.name)
                    pipeline = self._pipeline(self._ledger)
                    return pipeline.record(source, context, result, batch, now=now)

    def reloaded(self, old: Coach) -> None:
        """The config was reloaded: what waits in the spool is told with the new notify
        settings; a new coach that the server could not draw (it is away) keeps the old one's
        picture of each goal that did not change, until the drain draws them all."""
        coach = self.daemon.coach
        if coach.news_mark is None:
            for goal in coach.goals:
                if goal in old.goals and goal.name in old.trackers:
                    coach.trackers[goal.name] = old.trackers[goal.name]
                    coach.lives[goal.name] = old.lives.get(goal.name, Life())
        with self._sending:
            if self._ledger is not None:
                self._sender = self._deliverer(self._ledger)

    # -- delivering and draining ------------------------------------------------------------

    def _deliverer(self, spool: Ledger) -> Deliverer:
        daemon = self.daemon
        return Deliverer(
            spool,
            daemon.notifier,
            daemon.config.settings.notify,
            daemon.config.settings.zone(),
            burst=partial(burst_words, daemon.coach.templates),
            gate=daemon.delivery_gate,
        )

    async def loop(self) -> None:
        """While the spool is open, tell what waits in its outbox."""
        while not self.daemon.stopping:
            if self._ledger is not None:
                try:
                    await in_thread(self._tell, now_utc())
                except Exception as exc:  # what is pending stays in the spool's outbox
                    log.warning("could not tell what waits in the spool: %r", exc)
            if await self.daemon.rest(DELIVER_SECONDS):
                return

    def _tell(self, now: datetime) -> None:
        with self._sending:
            if self._sender is not None:
                self._sender.deliver_due(now)

    def drain(self) -> int:
        """Record what the spool holds into the shared ledger, then remove the spool; the
        wins that were new there. LedgerUnreachable when the server went away again."""
        with self._lock, self._sending:
            spool = self._ledger
            if spool is None:
                return 0
            self._tell_what_waits(spool)
            carried = self._carry_over(spool)
            daemon, now = self.daemon, now_utc()
            main = daemon.pipeline
            main.load(now)  # the coach's picture: the shared ledger's, without the spool's

            def targets_for(moment: Moment) -> Sequence[str]:
                return [] if moment.of_machine else main.targets_for(moment)

            person = Pipeline(main.ledger, main.coach, targets_for, main.coalesce)
            spooled: dict[str, list[Win]] = {}
            detectors: dict[str, str] = {}
            for stored in spool.wins():
                spooled.setdefault(stored.source, []).append(stored.as_win())
                detectors[stored.source] = stored.detector
            new = 0
            for name in sorted(set(spooled) | set(daemon.sources) | set(self._cursors)):
                wins, cursor = spooled.get(name, []), spool.cursor(name)
                if not wins and cursor is None:
                    continue
                source = daemon.sources.get(name)
                if source is None:  # no longer configured: its wins, without words
                    zone, starts = main.coach.schedule.zone, main.coach.schedule.day_starts_at
                    detector = detectors.get(name) or self._cursors.get(name, ("", ""))[0]
                    recorded = main.ledger.record(
                        name,
                        detector,
                        wins,
                        cursor,
                        zone=zone,
                        day_starts_at=starts,
                        save_cursor=cursor is not None,
                    )
                else:
                    recorded = person.record_wins(
                        ScanInfo.of(source, wins, first_scan=False),
                        source.detector_name,
                        wins,
                        now=now,
                        cursor=cursor,
                        save_cursor=cursor is not None,
                    )
                new += len(recorded)
                if cursor is not None:
                    self._cursors[name] = (self._cursors.get(name, ("", None))[0], cursor)
            spool.close()
            self._ledger = self._sender = None
            for leftover in (self.path, *self.path.parent.glob(self.path.name + "-*")):
                leftover.unlink(missing_ok=True)
        log.info(
            "the spool is drained into the ledger: %d wins, %d new there%s",
            sum(len(w) for w in spooled.values()),
            new,
            f"; messages not sent yet: {carried}, sent from the ledger now" if carried else "",
        )
        daemon.wake_delivery()
        return new

    def _tell_what_waits(self, spool: Ledger) -> None:
        """Tell what waits in the spool's outbox before it goes."""
        coalesce = self.daemon.config.settings.notify.coalesce_seconds
        try:
            if self._sender is not None:
                self._sender.deliver_due(now_utc() + timedelta(seconds=coalesce))
        except Exception as exc:  # a target that is down: _carry_over takes its messages
            log.debug("telling what waits in the spool: %r", exc)

    def _carry_over(self, spool: Ledger) -> int:
        """Put what the spool could not tell (its target down, or held by quiet hours) into
        the shared ledger's outbox, to be sent from there as this machine's; how many
        moments. Before the spool's wins go in, so their live celebrations are not made again
        there. Each is then marked sent in the spool, so that neither its own sender nor a
        drain run again (which finds the moment there by its dedupe key) tells it twice."""
        rows: dict[str, list[PendingDelivery]] = {}
        for row in spool.unsent():
            rows.setdefault(row.moment.dedupe_key, []).append(row)
        carried = 0
        for waiting in rows.values():
            if self.daemon.ledger.add_moment(waiting[0].moment, [r.target for r in waiting]):
                carried += 1
            for row in waiting:
                spool.mark_sent([row.outbox_id], row.target)
        return carried
