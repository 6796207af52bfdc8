"""The daemon: watch, scan, record, deliver; reload on SIGHUP, stop cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from smallwins.api.detector import ScanContext
from smallwins.api.moment import Moment
from smallwins.coach.celebration import burst_words
from smallwins.coach.coach import Coach, build_coach
from smallwins.coach.pipeline import Pipeline
from smallwins.config import Config
from smallwins.daemon.systemd import sd_notify, watchdog_interval
from smallwins.daemon.watcher import Watcher
from smallwins.delivery.deliverer import Deliverer
from smallwins.delivery.notify import TERMINAL, Notifier
from smallwins.errors import ConfigError, DetectorError
from smallwins.ledger import Ledger, StoredWin
from smallwins.paths import Paths
from smallwins.plugins.loader import Plugins
from smallwins.plugins.scan import ScanResult, run_scan
from smallwins.plugins.source import Source

log = logging.getLogger("smallwins.daemon")

T = TypeVar("T")

# A source whose scans fail this many times in a row is paused, for longer each time.
PAUSE_AFTER = 3
PAUSE_MAX = timedelta(hours=1)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def in_thread(fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    """Run ``fn`` in a daemon thread: a hung plugin then cannot block the process's exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def target() -> None:
        try:
            result = fn(*args)
        except BaseException as exc:  # handed to the awaiting task, which decides
            loop.call_soon_threadsafe(_settle, future, None, exc)
        else:
            loop.call_soon_threadsafe(_settle, future, result, None)

    threading.Thread(
        target=target, name=f"smallwins-{getattr(fn, '__name__', 'work')}", daemon=True
    ).start()
    return future


def now_utc() -> datetime:
    return datetime.now(UTC)


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
        daemon: Daemon,
        pipeline: Pipeline,
        source: Source,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.prepared: asyncio.Future[ScanContext | None] = loop.create_future()
        self._daemon = daemon
        self._pipeline = pipeline
        self._source = source
        self._loop = loop
        self._lock = threading.Lock()
        self._given_up = False
        self._recording = False

    def scan(self) -> _Outcome:
        source, loop = self._source, self._loop
        try:
            paused = self._daemon._paused(source.name, now_utc())
            context = None if paused else self._pipeline.context(source)
        except BaseException as exc:
            loop.call_soon_threadsafe(_settle, self.prepared, None, exc)
            return None
        loop.call_soon_threadsafe(_settle, self.prepared, context, None)
        if context is None:
            return None
        result = run_scan(source.detector, context)
        with self._lock:
            if self._given_up:
                return None
            self._recording = True
        try:
            return result, self._daemon._record(self._pipeline, source, context, result)
        except Exception as exc:  # reported by the loop, as the source's error
            return result, exc

    def give_up(self) -> bool:
        """Stop waiting for the scan; False when it has ended and its recording has begun."""
        with self._lock:
            self._given_up = not self._recording
            return self._given_up


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
        self._deliver_wake = asyncio.Event()
        self._scanning: dict[str, asyncio.Future[_Outcome]] = {}
        self._rescan: set[str] = set()
        self._watcher: Watcher | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._running_loop: asyncio.AbstractEventLoop | None = None
        self._wakes: dict[str, asyncio.TimerHandle] = {}
        self.notifier = self._make_notifier()
        self.pipeline = self._make_pipeline()
        self.deliverer = self._make_deliverer()

    # -- building blocks ------------------------------------------------------------------

    def _make_notifier(self) -> Notifier:
        notify = self.config.settings.notify
        return Notifier(
            notify.urls,
            storage=self.paths.apprise_storage,
            timeout=notify.send_timeout_seconds,
        )

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
        """Let the coach close the days that ended and tell a digest that is due."""
        if await in_thread(self.pipeline.tick, now_utc()):
            self._deliver_wake.set()

    async def _clock_loop(self) -> None:
        while not self._stopping.is_set():
            wake = self.coach.schedule.next_clock(now_utc())
            delay = max(0.0, (wake - now_utc()).total_seconds())
            try:
                await asyncio.wait_for(self._stopping.wait(), delay)
            except TimeoutError:
                try:
                    await self.tick()
                except Exception as exc:  # the next tick tries again
                    log.error("the coach's clock failed: %r", exc)
                    log.debug("clock traceback", exc_info=exc)

    def _make_deliverer(self) -> Deliverer:
        return Deliverer(
            self.ledger,
            self.notifier,
            self.config.settings.notify,
            self.config.settings.zone(),
            burst=partial(burst_words, self.coach.templates),
        )

    # -- scanning -------------------------------------------------------------------------

    async def scan(self, name: str) -> None:
        """Scan one source now; if a scan of it is running, scan again when it ends."""
        if name in self._scanning:
            self._rescan.add(name)
            return
        source = self.sources.get(name)
        if source is None:
            return
        try:
            await self._scan(source)
        finally:
            if name in self._rescan and not self._stopping.is_set():
                self._rescan.discard(name)
                await self.scan(name)

    def _paused(self, name: str, now: datetime) -> bool:
        state = self.ledger.source_state(name)
        return bool(state and state.paused_until and state.paused_until > now)

    async def _scan(self, source: Source) -> None:
        settings = self.config.settings
        started = time.perf_counter()
        job = _ScanJob(self, self.pipeline, source, asyncio.get_running_loop())
        future = in_thread(job.scan)
        self._scanning[source.name] = future
        try:
            context = await job.prepared
        except BaseException:
            self._scanning.pop(source.name, None)
            raise
        if context is None:
            self._scanning.pop(source.name, None)
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
                future.add_done_callback(lambda _: self._scanning.pop(source.name, None))
            else:  # the scan ended in time and its wins are being recorded
                outcome = await future
        except DetectorError as exc:
            error = str(exc)
        except Exception as exc:  # plugin code: isolate it, report it, keep going
            error = f"the {source.detector_name} detector raised {exc!r}"
            log.debug("source %s: traceback", source.name, exc_info=exc)
        finally:
            if future.done():
                self._scanning.pop(source.name, None)
        if outcome is not None:
            result, recorded = outcome
            self._plan_wake(source.name, result.next_scan_at)
            if isinstance(recorded, Exception):  # the ledger cannot take it (disk full, locked...)
                log.error("source %s: cannot record its wins: %r", source.name, recorded)
                await in_thread(self._note, source, f"cannot record wins: {recorded!r}", [])
                return
            new = len(recorded)
            problems = [str(p) for p in result.problems]
            for problem in problems[:10]:
                log.warning("source %s: %s", source.name, problem)
            if result.junk:
                problems.append(f"{len(result.junk)} invalid wins from the detector were skipped")
            await in_thread(self._note, source, None, problems)
            elapsed = (time.perf_counter() - started) * 1000
            if new:
                noun = source.detector.noun if new == 1 else source.detector.plural_noun()
                log.info("source %s: %d new %s", source.name, new, noun)
            log.debug("source %s: scanned in %.1f ms, %d new", source.name, elapsed, new)
        else:
            await in_thread(self._note, source, error, [])

    def _plan_wake(self, name: str, when: datetime | None) -> None:
        """Scan ``name`` again at ``when``, as its detector asked (replacing an older plan)."""
        previous = self._wakes.pop(name, None)
        if previous is not None:
            previous.cancel()
        if when is None or self._stopping.is_set():
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, (when - now_utc()).total_seconds())
        self._wakes[name] = loop.call_later(delay, lambda: self._spawn(self.scan(name)))

    def _note(self, source: Source, error: str | None, problems: list[str]) -> None:
        state = self.ledger.source_state(source.name)
        if error is None:
            self.ledger.note_scan(source.name, source.detector_name, error=None, problems=problems)
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
        self.ledger.note_scan(
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
        targets = [t for t in self.notifier.names_for("system") if t != TERMINAL]
        if not targets:
            return
        now = now_utc()
        moment = Moment("system", key, title, body, now, now, category="system")
        if self.ledger.add_moment(moment, targets) and self._running_loop is not None:
            self._running_loop.call_soon_threadsafe(self._deliver_wake.set)

    def _record(
        self, pipeline: Pipeline, source: Source, context: ScanContext, result: ScanResult
    ) -> list[StoredWin]:
        new = pipeline.record(source, context, result, now=now_utc())
        if new and self._running_loop is not None:
            self._running_loop.call_soon_threadsafe(self._deliver_wake.set)
        return new

    def _targets_for(self, moment: Moment) -> list[str]:
        return self.notifier.names_for(moment.category) if moment.deliver else []

    async def _first_pass(self) -> None:
        """Scan everything, then let the coach tell what ended while the daemon was down."""
        await self.scan_all()
        await self.tick()

    async def scan_all(self) -> None:
        await asyncio.gather(*(self.scan(name) for name in list(self.sources)))

    # -- delivering -----------------------------------------------------------------------

    async def deliver(self, now: datetime | None = None) -> None:
        """Send everything due now, each target on its own thread."""
        await in_thread(self.deliverer.deliver_due, now or now_utc())

    async def _deliver_loop(self) -> None:
        while not self._stopping.is_set():
            self._deliver_wake.clear()
            try:
                await self.deliver()
                wake = self.deliverer.next_wake(now_utc())
            except Exception as exc:  # keep delivering: what is pending stays in the outbox
                log.error("delivery failed: %r; trying again in a minute", exc)
                log.debug("delivery traceback", exc_info=exc)
                wake = now_utc() + timedelta(minutes=1)
            timeout = None if wake is None else max(0.0, (wake - now_utc()).total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._deliver_wake.wait(), timeout)

    # -- watching and reconciling ---------------------------------------------------------

    def _watch_plan(self) -> dict[Path, list[str]]:
        plan: dict[Path, list[str]] = {}
        for source in self.sources.values():
            for path in source.watch_paths():
                if path.exists():
                    plan.setdefault(path.resolve(), []).append(source.name)
        return plan

    def _relevant(self, path: Path) -> list[str]:
        names = []
        for root, sources in (self._watcher.plan if self._watcher else {}).items():
            if path == root or root in path.parents:
                for name in sources:
                    source = self.sources.get(name)
                    if source is not None and _relevant(source, path):
                        names.append(name)
        return names

    def _on_change(self, paths: set[Path]) -> None:
        if self.paths.config_file.resolve() in paths:
            self._spawn(self.reload("the config file changed"))
        names = {name for path in paths for name in self._relevant(path)}
        for name in sorted(names):
            self._spawn(self.scan(name))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    async def _restart_watcher(self) -> None:
        plan = self._watch_plan()
        if self._watcher is not None and self._watcher.plan == plan:
            return
        if self._watcher is not None:
            await self._watcher.stop()
        self._watcher = Watcher(
            plan,
            self.paths.config_file,
            self._on_change,
            self._on_watch_error,
            is_relevant=self._relevant,
            backend=self.config.settings.watcher,
        )
        self._watcher.start()
        log.debug("watching %d paths with %s", len(plan), self._watcher.backend)

    def _on_watch_error(self, error: BaseException) -> None:
        log.warning("the file watcher stopped (%s); reconciling and restarting it", error)
        self._spawn(self._reconcile())

    async def _reconcile(self) -> None:
        await self.scan_all()
        await self._restart_watcher()

    async def _reconcile_loop(self) -> None:
        interval = self.config.settings.reconcile_minutes * 60
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), interval)
            except TimeoutError:
                try:
                    await self._reconcile()
                except Exception as exc:  # the next round tries again
                    log.error("reconcile failed: %r", exc)

    # -- reloading and stopping -----------------------------------------------------------

    async def reload(self, why: str) -> None:
        sd_notify(f"RELOADING=1\nMONOTONIC_USEC={time.monotonic_ns() // 1000}")
        try:
            config, sources = await in_thread(self._load)
        except ConfigError as exc:
            log.error("%s, but the new config is invalid; keeping the old one: %s", why, exc)
            sd_notify("READY=1")
            return
        self.config = config
        self.sources = {s.name: s for s in sources}
        self.notifier = self._make_notifier()
        self.pipeline = self._make_pipeline()
        self.deliverer = self._make_deliverer()
        await self._load_coach()
        await in_thread(self.notifier.prepare)
        log.info("%s: config reloaded, %d sources", why, len(self.sources))
        sd_notify("READY=1")
        await self._reconcile()
        self._deliver_wake.set()

    def stop(self) -> None:
        if not self._stopping.is_set():
            log.info("stopping")
            sd_notify("STOPPING=1")
            self._stopping.set()
            self._deliver_wake.set()

    async def _watchdog(self, interval: float) -> None:
        while not self._stopping.is_set():
            sd_notify("WATCHDOG=1")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval)

    # -- running --------------------------------------------------------------------------

    def _say_what_is_missing(self) -> None:
        """A plugin choice that leaves the coach mute must not pass in silence."""
        if not self.plugins.rules:
            log.warning(
                "no progress rules are loaded (is the coaching plugin left out by "
                "SMALLWINS_LOAD_PLUGINS or disabled_plugins?): wins are recorded and "
                "celebrated, but no milestones, bests, digests or setbacks are told"
            )
        if "celebration" not in self.coach.templates.kinds():
            log.warning("no wordings for celebrations are loaded: wins are told in plain words")

    async def run_once(self) -> int:
        """Scan every source, deliver everything due (bursts need not wait), exit."""
        self._running_loop = asyncio.get_running_loop()
        self._say_what_is_missing()
        problems = await in_thread(self.notifier.prepare)
        for name, problem in problems.items():
            log.warning("notification target %s: %s", name, problem)
        await self._load_coach()
        await self.scan_all()
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
        self._say_what_is_missing()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.reload("SIGHUP")))
        problems = await in_thread(self.notifier.prepare)
        for name, problem in problems.items():
            log.warning("notification target %s: %s", name, problem)
        await self._load_coach()
        await self._restart_watcher()
        # Ready before the first scans end: a slow or hung detector must not hold up start-up
        # or a stop request.
        self._spawn(self._first_pass())
        sd_notify("READY=1")
        log.info(
            "running: %d sources, %d notification targets",
            len(self.sources),
            len(self.notifier.targets),
        )
        background = [
            loop.create_task(self._deliver_loop()),
            loop.create_task(self._reconcile_loop()),
            loop.create_task(self._clock_loop()),
        ]
        interval = watchdog_interval()
        if interval:
            background.append(loop.create_task(self._watchdog(interval)))
        await self._stopping.wait()
        for handle in self._wakes.values():
            handle.cancel()
        for task in background + list(self._tasks):
            task.cancel()
        await asyncio.gather(*background, *list(self._tasks), return_exceptions=True)
        if self._watcher is not None:
            await self._watcher.stop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        return 0


def _relevant(source: Source, path: Path) -> bool:
    try:
        return bool(source.detector.is_relevant(path))
    except Exception:  # a plugin bug here should not silence its source: scan to find out
        return True
