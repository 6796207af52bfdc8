"""The daemon's threads: work handed off the event loop, in threads that cannot hold up an
exit."""

from __future__ import annotations

import asyncio
import contextlib
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
