"""Scanning the sources: one scan at a time per source, isolated and given up when it hangs,
a source paused after failures in a row, and scans again when a detector asks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from smallwins.api.detector import ScanContext
from smallwins.api.moment import Moment
from smallwins.coach.pipeline import Pipeline
from smallwins.daemon.threads import CollectorPause, in_thread, now_utc, settle
from smallwins.delivery.notify import TERMINAL
from smallwins.errors import DetectorError
from smallwins.ledger import LedgerUnreachable, StoredWin, WinBatch
from smallwins.plugins.scan import ScanResult
from smallwins.plugins.source import Source

if TYPE_CHECKING:
    from smallwins.daemon.daemon import Daemon

log = logging.getLogger("smallwins.daemon")

# A source whose scans fail this many times in a row is paused, for longer each time.
PAUSE_AFTER = 3
PAUSE_MAX = timedelta(hours=1)


# What a scan's thread hands back: what the detector found, and the new wins as recorded (or
# why the ledger could not take them); None when it did not get that far.
_Outcome = tuple[ScanResult, list[StoredWin] | Exception] | None


class _ScanJob:
    """One scan of a source on one thread: the pause check, the cursor, the detector and then,
    unless the daemon has given up waiting, recording what it found. Back to back, with no
    round trip through the event loop in between; the loop hears about the context (or a
    ledger error reading it) through ``prepared`` while the detector already runs."""

    def __init__(
        self,
        scanner: Scanner,
        pipeline: Pipeline,
        source: Source,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.prepared: asyncio.Future[ScanContext | None] = loop.create_future()
        self._scanner = scanner
        self._pipeline = pipeline
        self._source = source
        self._loop = loop
        self._lock = threading.Lock()
        self._given_up = False
        self._recording = False
        self._collector_paused = CollectorPause()

    def scan(self) -> _Outcome:
        source, loop = self._source, self._loop
        try:
            paused = self._scanner._paused(source.name, now_utc())
            context = None if paused else self._scanner.daemon.spool.context(source)
        except BaseException as exc:
            loop.call_soon_threadsafe(settle, self.prepared, None, exc)
            return None
        loop.call_soon_threadsafe(settle, self.prepared, context, None)
        if context is None:
            return None
        with self._collector_paused:
            with self._scanner.under_way(source.name, context):
                result, batch = self._pipeline.detect(source, context)
            with self._lock:
                if self._given_up:
                    return None
                self._recording = True
            try:
                return result, self._scanner._record(source, context, result, batch)
            except Exception as exc:  # reported by the loop, as the source's error
                return result, exc

    def give_up(self) -> bool:
        """Stop waiting for the scan; False when it has ended and its recording has begun."""
        with self._lock:
            self._given_up = not self._recording
        if self._given_up:
            self._collector_paused.release()
        return self._given_up


class Scanner:
    """The daemon's scans: which are running, which must run again, when detectors asked to
    be woken."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self._running: dict[str, asyncio.Future[_Outcome]] = {}
        self._again: set[str] = set()
        self._wakes: dict[str, asyncio.TimerHandle] = {}
        # Each source's last request to be scanned again: (asked at, for when, why).
        self._asks: dict[str, tuple[datetime, datetime, str]] = {}
        self._hold_wakes = False  # run --once: no timers, settle() rescans
        # The detectors running now, with when they started: their progress, for a terminal.
        self._under_way: dict[str, tuple[float, ScanContext]] = {}
        self._under_way_lock = threading.Lock()

    @contextlib.contextmanager
    def under_way(self, name: str, context: ScanContext) -> Iterator[None]:
        with self._under_way_lock:
            self._under_way[name] = (time.monotonic(), context)
        try:
            yield
        finally:
            with self._under_way_lock:
                self._under_way.pop(name, None)

    def progress(self) -> list[tuple[str, float, ScanContext]]:
        """Each detector running now: its source, when it started (``time.monotonic()``) and
        its context, whose ``progress_*`` it updates; callable from any thread."""
        with self._under_way_lock:
            return [(name, since, context) for name, (since, context) in self._under_way.items()]

    def cancel_wakes(self) -> None:
        for handle in self._wakes.values():
            handle.cancel()

    async def scan(self, name: str) -> None:
        """Scan one source now; if a scan of it is running, scan again when it ends."""
        if name in self._running:
            self._again.add(name)
            return
        source = self.daemon.sources.get(name)
        if source is None:
            return
        try:
            await self._scan(source)
        finally:
            if name in self._again and not self.daemon.stopping:
                self._again.discard(name)
                await self.scan(name)

    def _paused(self, name: str, now: datetime) -> bool:
        if self.daemon.spool.open:
            return False  # the pause is kept in the ledger, which does not answer
        try:
            state = self.daemon.ledger.source_state(name)
        except LedgerUnreachable:
            return False
        return bool(state and state.paused_until and state.paused_until > now)

    async def _scan(self, source: Source) -> None:
        settings = self.daemon.config.settings
        started = time.perf_counter()
        job = _ScanJob(self, self.daemon.pipeline, source, asyncio.get_running_loop())
        future = in_thread(job.scan)
        self._running[source.name] = future
        try:
            context = await job.prepared
        except BaseException:
            self._running.pop(source.name, None)
            raise
        if context is None:
            self._running.pop(source.name, None)
            log.debug("source %s is paused; scan skipped", source.name)
            return
        error: str | None = None
        outcome: _Outcome = None
        try:
            outcome = await asyncio.wait_for(asyncio.shield(future), settings.scan_timeout_seconds)
        except TimeoutError:
            if job.give_up():
                error = (
                    f"the {source.detector_name} detector took longer than "
                    f"{settings.scan_timeout_seconds:g} s (scan_timeout_seconds) and was given up"
                )
                # The thread cannot be killed: keep the source marked busy until it returns.
                future.add_done_callback(lambda _: self._running.pop(source.name, None))
            else:  # the scan ended in time and its wins are being recorded
                outcome = await future
        except DetectorError as exc:
            error = str(exc)
        except Exception as exc:  # plugin code: isolate it, report it, keep going
            error = f"the {source.detector_name} detector raised {exc!r}"
            log.debug("source %s: traceback", source.name, exc_info=exc)
        finally:
            if future.done():
                self._running.pop(source.name, None)
        if outcome is not None:
            result, recorded = outcome
            self._plan_wake(source.name, result.next_scan_at, result.next_scan_why)
            if isinstance(recorded, Exception):  # the ledger cannot take it (disk full, locked...)
                # A full disk is said once for the whole ledger, and noted outside it; the
                # wins are found again by a later scan, the cursor not having moved.
                if not self.daemon.outage.failed(recorded):
                    log.error("source %s: cannot record its wins: %r", source.name, recorded)
                    await in_thread(self._note, source, f"cannot record wins: {recorded!r}", [])
                return
            new = len(recorded)
            problems = [str(p) for p in result.problems]
            for problem in problems[:10]:
                log.warning("source %s: %s", source.name, problem)
            if result.junk:
                problems.append(f"{len(result.junk)} invalid wins from the detector were skipped")
            if not self.daemon.spool.open:  # the scan is noted in the ledger
                await in_thread(self._note, source, None, problems)
                self.daemon.outage.written()
            elapsed = (time.perf_counter() - started) * 1000
            if new:
                noun = source.detector.noun if new == 1 else source.detector.plural_noun()
                log.info("source %s: %d new %s", source.name, new, noun)
            log.debug("source %s: scanned in %.1f ms, %d new", source.name, elapsed, new)
        else:
            await in_thread(self._note, source, error, [])

    def _plan_wake(self, name: str, when: datetime | None, why: str = "") -> None:
        """Scan ``name`` again at ``when``, as its detector asked (replacing an older plan)."""
        previous = self._wakes.pop(name, None)
        if previous is not None:
            previous.cancel()
        self._asks.pop(name, None)
        if when is None or self.daemon.stopping:
            return
        self._asks[name] = (now_utc(), when, why)
        if self._hold_wakes:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, (when - now_utc()).total_seconds())
        self._wakes[name] = loop.call_later(delay, lambda: self.daemon.spawn(self.scan(name)))

    def _note(self, source: Source, error: str | None, problems: list[str]) -> None:
        state = self.daemon.ledger.source_state(source.name)
        if error is None:
            self.daemon.ledger.note_scan(
                source.name, source.detector_name, error=None, problems=problems
            )
            if state is not None and state.last_error:
                log.info("source %s: scanning again without errors", source.name)
            return
        failures = (state.failures if state else 0) + 1
        paused_until = None
        if failures >= PAUSE_AFTER:
            pause = min(timedelta(minutes=2 ** (failures - PAUSE_AFTER)), PAUSE_MAX)
            paused_until = now_utc() + pause
            log.warning(
                "source %s: %s; paused for %s after %d failures in a row",
                source.name,
                error,
                pause,
                failures,
            )
        elif state is None or state.last_error != error:
            log.warning("source %s: %s", source.name, error)
        self.daemon.ledger.note_scan(
            source.name, source.detector_name, error=error, paused_until=paused_until
        )
        if failures == PAUSE_AFTER:
            self._tell_system(
                f"paused:{source.name}:{now_utc().isoformat()}",
                f"Source {source.name} is paused",
                f"Its {source.detector_name} detector failed {failures} times in a row: "
                f"{error}. It retries by itself; `smallwins status` shows more.",
            )

    def _tell_system(self, key: str, title: str, body: str) -> None:
        """A problem with the daemon itself, for targets tagged ``system`` only."""
        targets = [t for t in self.daemon.notifier.names_for("system") if t != TERMINAL]
        if not targets:
            return
        now = now_utc()
        moment = Moment("system", key, title, body, now, now, category="system")
        if self.daemon.ledger.add_moment(moment, targets):
            self.daemon.wake_delivery()

    def _record(
        self,
        source: Source,
        context: ScanContext,
        result: ScanResult,
        batch: WinBatch,
    ) -> list[StoredWin]:
        new = self.daemon.spool.record(source, context, result, batch)
        # Even with nothing new: a command (smallwins done) may have recorded this change and
        # its celebration itself a moment ago, and this scan is how the daemon hears of it.
        self.daemon.wake_delivery()
        return new

    async def scan_all(self) -> None:
        await asyncio.gather(*(self.scan(name) for name in list(self.daemon.sources)))

    async def scan_all_settled(self, wait: timedelta) -> None:
        """Scan every source once, for ``run --once``: a source whose detector asks to be
        scanned again within ``wait`` (a file still being written) is scanned again when it
        asked, for up to ``wait`` in all; one still asking then has a problem noted. Later
        requests (a planned event's end) are left to the next run."""
        self._hold_wakes = True
        deadline = now_utc() + wait
        await self.scan_all()
        while soon := self._soon(wait):
            due = min(when for when, _ in soon.values())
            if due > deadline or await self.daemon.rest(
                max(0.0, (due - now_utc()).total_seconds())
            ):
                break
            names = [name for name, (when, _) in soon.items() if when <= now_utc()]
            for name in names:
                self._asks.pop(name, None)
            await asyncio.gather(*(self.scan(name) for name in names))
        for name, (_, why) in self._soon(wait).items():
            await in_thread(self._not_waited_for, name, why, wait)

    def _soon(self, wait: timedelta) -> dict[str, tuple[datetime, str]]:
        return {
            name: (when, why)
            for name, (asked, when, why) in self._asks.items()
            if when - asked <= wait and name in self.daemon.sources
        }

    def _not_waited_for(self, name: str, why: str, wait: timedelta) -> None:
        source = self.daemon.sources[name]
        problem = (
            f"{why or f'the {source.detector_name} detector asked to be scanned again soon'}; "
            f"`run --once` waits at most {wait.total_seconds():g} s, so it is not read yet: run "
            "it again in a moment, or keep the daemon running"
        )
        log.warning("source %s: %s", name, problem)
        state = self.daemon.ledger.source_state(name)
        problems = [*(state.problems if state else []), problem]
        self.daemon.ledger.note_scan(name, source.detector_name, error=None, problems=problems)
