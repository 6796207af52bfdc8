"""The command line's standard output and error, through which text from sources is shown.

Every line the command line writes (``wins``, ``replay``, ``status`` and its problems, the
daemon's log on stderr, a traceback) passes through one of these two streams, so control
characters are written out here once rather than by each command.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from smallwins.message import shown


class ShownStream:
    """A text stream that writes out control characters and is otherwise the one it wraps."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        # A bytes argument fails as it does on a text stream (click probes with b"").
        self._stream.write(shown(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def unguarded(stream: TextIO) -> TextIO:
    """The stream behind a ShownStream: for smallwins' own control characters (the progress
    line's carriage return and erase), never for text from sources."""
    return stream._stream if isinstance(stream, ShownStream) else stream


def guard_streams() -> None:
    """Put ``sys.stdout`` and ``sys.stderr`` behind ShownStream (once)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, ShownStream):
            setattr(sys, name, ShownStream(stream))
