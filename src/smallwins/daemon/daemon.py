"""The daemon: watch, scan, record, deliver; reload on SIGHUP, stop cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from smallwins.api.moment import Moment
from smallwins.coach.celebration import burst_words
from smallwins.coach.coach import Coach, build_coach
from smallwins.coach.pipeline import Pipeline
from smallwins.config import Config
from smallwins.daemon.inbox import Inbox, keep_inbox, serve_inbox
from smallwins.daemon.insights import InsightClock
from smallwins.daemon.lead import Lead
from smallwins.daemon.outages import DaemonOutage
from smallwins.daemon.pages import keep_report
from smallwins.daemon.scanning import Scanner
from smallwins.daemon.spool import Spool
from smallwins.daemon.systemd import sd_notify, watchdog_interval
from smallwins.daemon.threads import in_thread, now_utc, report_failure
from smallwins.daemon.watching import Watching
from smallwins.delivery.deliverer import Deliverer, Gate
from smallwins.delivery.notify import Notifier
from smallwins.errors import ConfigError
from smallwins.ledger import Ledger, LedgerUnreachable
from smallwins.paths import Paths
from smallwins.plugins.loader import Plugins
from smallwins.plugins.source import Source

log = logging.getLogger("smallwins.daemon")

# How long `run --once` waits for what a detector asks to read soon (a file still being
# written settles in 2 s); what it asks for later is left to the next run.
ONCE_WAIT = timedelta(seconds=5)

T = TypeVar("T")


class Daemon:
    """One running smallwins: its config, sources, ledger, watcher and deliverer."""

    def __init__(
        self,
        paths: Paths,
        config: Config,
        plugins: Plugins,
        sources: list[Source],
        ledger: Ledger,
        *,
        load: Callable[[], tuple[Config, list[Source]]],
    ) -> None:
        self.paths = paths
        self.config = config
        self.plugins = plugins
        self.sources = {s.name: s for s in sources}
        self.ledger = ledger
        self._load = load
        self._stopping = asyncio.Event()
        # Set once every source has had its first scan: a progress display can stop then.
        self.first_pass_done = threading.Event()
        self._deliver_wake = asyncio.Event()
        self.watching = Watching(self)
        self._tasks: list[asyncio.Task[Any]] = []
        self._running_loop: asyncio.AbstractEventLoop | None = None
        self.scanner = Scanner(self)
        self.insights = InsightClock()
        # Closed when the daemon stops, before the ledger is: a send that outlives the daemon
        # then writes nothing.
        self.delivery_gate = Gate()
        self.outage = DaemonOutage(self)
        self.lead = Lead(self)
        self.notifier = make_notifier(self.config, self.paths)
        self.pipeline = self._make_pipeline()
        self.deliverer = self._make_deliverer()
        self.spool = Spool(self)
        self.inbox: Inbox | None = None

    # -- building blocks ------------------------------------------------------------------

    def _make_pipeline(self) -> Pipeline:
        settings = self.config.settings
        coach = build_coach(
            settings, list(self.sources.values()), self.plugins.rules, self.plugins.templates
        )
        coalesce = timedelta(seconds=settings.notify.coalesce_seconds)
        return Pipeline(self.ledger, coach, self._targets_for, coalesce)

    @property
    def coach(self) -> Coach:
        return self.pipeline.coach

    async def _load_coach(self) -> None:
        await in_thread(self.pipeline.load, now_utc())

    async def tick(self) -> None:
        """Let the coach close the days that ended and tell a due digest (the lead's, if shared)."""
        told = await in_thread(self.pipeline.tick, now_utc()) if self.lead.leading else []
        if told:
            self._deliver_wake.set()

    async def _clock_loop(self) -> None:
        while not self.stopping:
            wake = self.coach.schedule.next_clock(now_utc())
            if await self.rest(max(0.0, (wake - now_utc()).total_seconds())):
                return
            try:
                await self.tick()
                self.insights.after_tick(self)
            except Exception as exc:  # the next tick tries again
                if not self.outage.failed(exc):
                    log.error("the coach's clock failed: %r", exc)
                log.debug("clock traceback", exc_info=exc)

    def _make_deliverer(self) -> Deliverer:
        return Deliverer(
            self.ledger,
            self.notifier,
            self.config.settings.notify,
            self.config.settings.zone(),
            burst=partial(burst_words, self.coach.templates),
            gate=self.delivery_gate,
        )

    def _targets_for(self, moment: Moment) -> list[str]:
        return self.notifier.targets_for(moment, shared_ledger=self.ledger.shared)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def rest(self, seconds: float) -> bool:
        """Wait ``seconds``, or less if the daemon is asked to stop; True when it is."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self.stopping

    def wake_delivery(self) -> None:
        """Have the deliverer look at the outbox now; callable from any thread."""
        self.call_soon(self._deliver_wake.set)

    def call_soon(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` on the daemon's loop; callable from any thread."""
        if self._running_loop is not None:
            self._running_loop.call_soon_threadsafe(fn)

    async def _first_pass(self) -> None:
        """Scan everything, then let the coach tell what ended while the daemon was down."""
        try:
            await self.scanner.scan_all()
        finally:
            self.first_pass_done.set()
        await self.tick()
        self.insights.after_tick(self)

    # -- delivering -----------------------------------------------------------------------

    async def deliver(self, now: datetime | None = None) -> None:
        """Send everything due now, each target on its own thread."""
        if await in_thread(self.deliverer.deliver_due, now or now_utc()):
            self.outage.written()

    async def _deliver_loop(self) -> None:
        while not self._stopping.is_set():
            self._deliver_wake.clear()
            try:
                # A message sent while the ledger cannot be written could not be marked sent,
                # and would be sent again and again: delivery waits for the ledger.
                if not self.outage.active:
                    await self.deliver()
                wake = self.deliverer.next_wake(now_utc())
            except Exception as exc:  # keep delivering: what is pending stays in the outbox
                if not self.outage.failed(exc):
                    log.error("delivery failed: %r; trying again in a minute", exc)
                log.debug("delivery traceback", exc_info=exc)
                wake = now_utc() + timedelta(minutes=1)
            if self.outage.active:
                wake = now_utc() + timedelta(minutes=1)
            timeout = None if wake is None else max(0.0, (wake - now_utc()).total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._deliver_wake.wait(), timeout)

    def spawn(self, coro: Any) -> None:
        """Run ``coro`` as a task of the daemon's, cancelled when it stops."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)
        task.add_done_callback(partial(report_failure, self.outage.failed))

    # -- reloading and stopping -----------------------------------------------------------

    async def reload(self, why: str) -> None:
        sd_notify(f"RELOADING=1\nMONOTONIC_USEC={time.monotonic_ns() // 1000}")
        try:
            config, sources = await in_thread(self._load)
        except ConfigError as exc:
            log.error("%s, but the new config is invalid; keeping the old one: %s", why, exc)
            sd_notify("READY=1")
            return
        if not config.exists and self.config.exists:
            # Deleted (or between an editor's delete and write): the defaults would watch
            # nothing and record nothing until the file came back.
            log.warning(
                "%s, but %s is missing; keeping the last good config (%d sources) until it "
                "comes back",
                why,
                config.path,
                len(self.sources),
            )
            sd_notify("READY=1")
            return
        self.config, old = config, self.coach
        self.sources = {s.name: s for s in sources}
        self.notifier = make_notifier(self.config, self.paths)
        self.pipeline = self._make_pipeline()
        self.deliverer = self._make_deliverer()
        with contextlib.suppress(LedgerUnreachable):  # apart from the server: the spool's
            await self._load_coach()
        self.spool.reloaded(old)
        await in_thread(self.notifier.prepare)
        await serve_inbox(self)
        log.info("%s: config reloaded, %d sources", why, len(self.sources))
        sd_notify("READY=1")
        await self.watching.reconcile()
        self._deliver_wake.set()

    def stop(self) -> None:
        if not self._stopping.is_set():
            log.info("stopping")
            sd_notify("STOPPING=1")
            self._stopping.set()
            self._deliver_wake.set()

    # -- running --------------------------------------------------------------------------

    async def _start(self) -> None:
        """What ``run`` and ``run_once`` do first: say what is missing, ready the targets and
        the coach."""
        say_what_is_missing(self.plugins, self.coach)
        problems = await in_thread(self.notifier.prepare)
        for name, problem in problems.items():
            log.warning("notification target %s: %s", name, problem)
        await in_thread(self.lead.beat)
        await self._load_coach()

    async def run_once(self) -> int:
        """Scan every source, deliver everything due (bursts need not wait), exit."""
        self._running_loop = asyncio.get_running_loop()
        await self._start()
        try:
            await self.scanner.scan_all_settled(ONCE_WAIT)
        finally:
            self.first_pass_done.set()
        await self.tick()
        await self.deliver(
            now_utc() + timedelta(seconds=self.config.settings.notify.coalesce_seconds)
        )
        failing = [
            s.name for s in self.ledger.source_states() if s.name in self.sources and s.last_error
        ]
        return 1 if failing else 0

    async def run(self) -> int:
        loop = self._running_loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: self.spawn(self.reload("SIGHUP")))
        await self._start()
        await self.watching.restart()
        # Ready before the first scans end: a slow or hung detector must not hold up start-up
        # or a stop request.
        self.spawn(self._first_pass())
        sd_notify("READY=1")
        log.info(
            "running: %d sources, %d notification targets",
            len(self.sources),
            len(self.notifier.targets),
        )
        loops = (self._deliver_loop(), self.watching.reconcile_loop(), self._clock_loop())
        others = (keep_report(self), keep_inbox(self), self.lead.loop(), self.spool.loop())
        background = [loop.create_task(c) for c in (*loops, *others)]
        interval = watchdog_interval()
        if interval:
            background.append(loop.create_task(watchdog(self, interval)))
        await self._stopping.wait()
        self.scanner.cancel_wakes()
        for task in background + list(self._tasks):
            task.cancel()
        await asyncio.gather(*background, *list(self._tasks), return_exceptions=True)
        self.delivery_gate.close()
        await self.watching.stop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        return 0


def say_what_is_missing(plugins: Plugins, coach: Coach) -> None:
    """A plugin choice that leaves the coach mute must not pass in silence."""
    if not plugins.rules:
        log.warning(
            "no progress rules are loaded (is the coaching plugin left out by "
            "SMALLWINS_LOAD_PLUGINS or disabled_plugins?): wins are recorded and "
            "celebrated, but no milestones, bests, digests or setbacks are told"
        )
    if "celebration" not in coach.templates.kinds():
        log.warning("no wordings for celebrations are loaded: wins are told in plain words")


async def watchdog(daemon: Daemon, interval: float) -> None:
    """Tell systemd the daemon is alive, every ``interval`` seconds until it stops."""
    while not daemon.stopping:
        sd_notify("WATCHDOG=1")
        await daemon.rest(interval)


def make_notifier(config: Config, paths: Paths) -> Notifier:
    """The notification targets the config names, with their Apprise storage."""
    notify = config.settings.notify
    return Notifier(
        notify.urls,
        storage=paths.apprise_storage,
        timeout=notify.send_timeout_seconds,
    )
