"""The daemon's threads: work handed off the event loop, in threads that cannot hold up an
exit."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger("smallwins.daemon")


def settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
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
        result: T | None = None
        error: BaseException | None = None
        try:
            result = fn(*args)
        except BaseException as exc:  # handed to the awaiting task, which decides
            error = exc
        # Work that outlives the daemon (a hung plugin) ends after its loop has closed; no one
        # waits for it then.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, future, result, error)

    threading.Thread(
        target=target, name=f"smallwins-{getattr(fn, '__name__', 'work')}", daemon=True
    ).start()
    return future


def report_failure(handled: Callable[[BaseException], bool], task: asyncio.Task[Any]) -> None:
    """A task's error said in one line (its traceback at DEBUG), not left for asyncio to print
    as "never retrieved"; nothing more when ``handled`` has said it already."""
    if task.cancelled() or task.exception() is None:
        return
    exc = task.exception()
    assert exc is not None
    if not handled(exc):
        log.error("%s failed: %r", task.get_name(), exc)
    log.debug("task traceback", exc_info=exc)


def now_utc() -> datetime:
    return datetime.now(UTC)


class CollectorPause:
    """Python's cycle collector off while a scan runs and is recorded, whatever the thread.

    A first scan piles up its wins (a Win, a row and a StoredWin each), and the collector
    walks the growing pile again and again: five full passes for 100,000 commits, a tenth of
    the scan's time. None of them holds a cycle; reference counting frees them as always.
    The collector runs again when the last pause ends, or is released: a scan the daemon gave
    up on (a hung detector) releases its pause, so it cannot keep the collector off."""

    _lock = threading.Lock()
    _held = 0

    def __init__(self) -> None:
        self._holding = False
        self._released = False

    def __enter__(self) -> CollectorPause:
        with self._lock:
            if not self._holding and not self._released:
                self._holding = True
                CollectorPause._held += 1
                if CollectorPause._held == 1:
                    gc.disable()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        """End the pause, for good: entering it again does nothing."""
        with self._lock:
            self._released = True
            if self._holding:
                self._holding = False
                CollectorPause._held -= 1
                if CollectorPause._held == 0:
                    gc.enable()
