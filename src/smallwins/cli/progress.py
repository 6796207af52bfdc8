"""A progress line on the terminal while the first scans run.

Drawn on stderr, and only when stderr is a terminal: a pipe, a log file or the service's
journal get nothing extra. It appears once a scan has run for a second, is redrawn a few times
a second from what detectors report through ``ScanContext.report_progress`` (reading numbers
they store: the scans are never slowed or interrupted by it), and is gone when every source
has had its first scan. A log line written meanwhile clears it first, so the two never share
a line.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from smallwins.api.detector import ScanContext
    from smallwins.daemon.daemon import Daemon

# A scan shorter than this shows nothing.
SHOW_AFTER = 1.0
REFRESH = 0.2
BAR = 20
_CLEAR = "\r\x1b[K"


def wanted(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal that can redraw a line."""
    try:
        return stream.isatty() and os.environ.get("TERM", "") != "dumb"
    except ValueError:  # closed
        return False


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (OSError, ValueError):
        return 80


def _printable(text: str) -> str:
    return "".join(char if char.isprintable() else "?" for char in text)


def _amount(value: float, unit: str) -> str:
    if unit == "bytes":
        return f"{value / 1e6:,.0f} MB" if value >= 1e6 else f"{value / 1e3:,.0f} kB"
    return f"{value:,.0f} {_printable(unit)}".rstrip()


def describe(name: str, context: ScanContext) -> str:
    """One source's part of the line: a bar when the total is known, a count when not."""
    done, total, unit = context.progress_done, context.progress_total, context.progress_unit
    name = _printable(name)
    if total and total > 0:
        share = min(max(done / total, 0.0), 1.0)
        filled = round(share * BAR)
        bar = "#" * filled + "." * (BAR - filled)
        if unit == "bytes":
            amount = f"{_amount(done, unit).split()[0]}/{_amount(total, unit)}"
        else:
            amount = f"{done:,.0f}/{_amount(total, unit)}"
        return f"{name} [{bar}] {share:4.0%} {amount}"
    if done:
        return f"{name} {_amount(done, unit)}"
    return f"{name} ..."


class ProgressLine(logging.Filter):
    """The line, drawn by a thread of its own until the daemon's first scans have ended."""

    def __init__(self, daemon: Daemon, stream: TextIO) -> None:
        super().__init__()
        self._daemon = daemon
        self._stream = stream
        self._lock = threading.Lock()
        self._shown = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="smallwins-progress", daemon=True)

    def start(self) -> None:
        for handler in logging.getLogger().handlers:
            handler.addFilter(self)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        """Clear the line before a log line is written; the next redraw brings it back."""
        self._draw("")
        return True

    def _run(self) -> None:
        done = self._daemon.first_pass_done
        while not self._stop.wait(REFRESH) and not done.is_set():
            now = time.monotonic()
            running = [
                (name, since, context)
                for name, since, context in self._daemon.scanner.progress()
                if now - since >= SHOW_AFTER
            ]
            if running:
                elapsed = now - min(since for _, since, _ in running)
                parts = " | ".join(describe(name, context) for name, _, context in running)
                self._draw(f"Scanning {parts} ({elapsed:.0f} s)")
            else:
                self._draw("")
        self._draw("")

    def _draw(self, text: str) -> None:
        with self._lock:
            if not text and not self._shown:
                return
            width = _columns(self._stream) - 1
            try:
                self._stream.write(_CLEAR + text[:width])
                self._stream.flush()
            except (OSError, ValueError):  # the terminal went away
                pass
            self._shown = bool(text)
