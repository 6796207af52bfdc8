"""A smallwins detector for a plain-text reading log, one session a line:

    2026-03-01 21:30  The Left Hand of Darkness, 30 pages

Each line becomes one win (kind "reading", value = pages). Blank lines and lines starting
with # are skipped; a line that does not parse is reported with its line number, and the
lines around it still count.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from smallwins import Detector, DetectorError, DetectorOptions, ScanContext, Win, hookimpl

LINE = re.compile(r"(\d{4}-\d{2}-\d{2} \d{1,2}:\d{2})\s+(.+),\s*(\d+)\s+pages?")
EXAMPLE = "2026-03-01 21:30  The Left Hand of Darkness, 30 pages"


class ReadingOptions(DetectorOptions):
    """The keys of a ``[sources.NAME]`` table with ``detector = "reading"``."""

    path: Path


class ReadingLog(Detector):
    name = "reading"
    description = "reading sessions from a plain-text log"
    Options = ReadingOptions
    noun = "reading session"
    options: ReadingOptions

    @property
    def path(self) -> Path:
        return self.options.path.expanduser()

    def watch_paths(self) -> list[Path]:
        return [self.path]

    def is_relevant(self, path: Path) -> bool:
        return path.resolve() == self.path.resolve()

    def describe(self) -> str:
        return self.path.name

    def scan(self, context: ScanContext) -> Iterator[Win]:
        try:
            log = self.path.open("rb")
        except OSError as exc:
            raise DetectorError(f"cannot read {self.path}: {exc.strerror}") from None
        with log:
            size = os.fstat(log.fileno()).st_size
            head = fingerprint(log.readline())
            offset, number = resume_at(context.cursor, size, head)
            log.seek(offset)
            for raw in log:
                if not raw.endswith(b"\n"):
                    break  # the last line is still being written: read it next time
                offset += len(raw)
                number += 1
                win = self.parse(raw.decode("utf-8", "replace"), number, context)
                if win is not None:
                    yield win
        size = max(size, offset)  # lines appended while we read are read already
        context.save_cursor({"offset": offset, "line": number, "size": size, "head": head})

    def parse(self, text: str, number: int, context: ScanContext) -> Win | None:
        text = text.strip()
        if not text or text.startswith("#"):
            return None
        match = LINE.fullmatch(text)
        if match is None:
            context.report_problem(
                f"not a reading entry like {EXAMPLE!r}", path=self.path, line=number
            )
            return None
        stamp, book, pages = match[1], match[2].strip(), int(match[3])
        try:
            when = datetime.strptime(stamp, "%Y-%m-%d %H:%M")
        except ValueError:
            context.report_problem(f"no such date or time: {stamp}", path=self.path, line=number)
            return None
        if pages == 0:
            context.report_problem("0 pages is not a session", path=self.path, line=number)
            return None
        return Win(
            key=f"{when:%Y-%m-%dT%H:%M} {book}",
            title=f"{pages} {'page' if pages == 1 else 'pages'} of {book}",
            occurred_at=when.replace(tzinfo=context.timezone),
            kind="reading",
            value=pages,
            unit="pages",
            details={"place": book},
        )


def fingerprint(first_line: bytes) -> str:
    return hashlib.sha256(first_line).hexdigest()[:16]


def resume_at(cursor: Any, size: int, head: str) -> tuple[int, int]:
    """Where to go on reading: the byte offset and the number of lines before it.

    A log that shrank or whose first line changed was rewritten, not appended to: read it
    again from the start. That is safe because a win's key is stable, so the lines seen
    before add nothing.
    """
    if not isinstance(cursor, dict) or cursor.get("head") != head:
        return 0, 0
    offset, line, before = cursor.get("offset"), cursor.get("line"), cursor.get("size")
    if not (isinstance(offset, int) and isinstance(line, int) and isinstance(before, int)):
        return 0, 0
    if size < before:
        return 0, 0
    return offset, line


@hookimpl
def register_detectors(register: Callable[[type[Detector]], None]) -> None:
    register(ReadingLog)
