"""Which format a file is in, told from its first bytes."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from .apple_health import read_apple_health
from .formats import (
    FIELD_SEPARATOR,
    INSIGHT_TIMER_HEADER,
    MEDITATION_ASSISTANT_HEADER,
    RECORD_START,
    SAMSUNG_MINDFULNESS,
    read_insight_timer,
    read_meditation_assistant,
    read_meditation_helper,
    read_samsung_health,
)
from .plain import plain_header, read_plain
from .session import Item, Reading, text_stream

Reader = Callable[[IO[bytes], Reading], Iterator[Item]]

# How much of a file tells its format; the same bytes fingerprint it for the cursor.
HEAD = 1 << 16
# How much of a file's end tells whether its last record is whole.
TAIL = 8
_HELPER_CLOSED = (RECORD_START + FIELD_SEPARATOR).encode()


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    label: str
    read: Reader


FORMATS = {
    f.name: f
    for f in (
        Format("insight_timer", "Insight Timer CSV", read_insight_timer),
        Format("apple_health", "Apple Health export.xml or export.zip", read_apple_health),
        Format("meditation_helper", "Meditation Helper Plus", read_meditation_helper),
        Format("meditation_assistant", "Meditation Assistant CSV", read_meditation_assistant),
        Format("samsung_health", "Samsung Health mindfulness CSV", read_samsung_health),
        Format("plain", "plain CSV, JSON or JSON Lines (start, duration or end)", read_plain),
    )
}


@dataclass(frozen=True, slots=True)
class Detected:
    """A format, or why there is none: ``empty`` (nothing to read yet), ``skip`` (an export
    file known to hold no sessions: the message says which), or unknown (format is None)."""

    format: Format | None = None
    empty: bool = False
    skip: str = ""


def known_formats() -> str:
    return "; ".join(f"{f.label} ({f.name})" for f in FORMATS.values())


def detect(head: bytes, reading: Reading) -> Detected:
    if head.startswith(b"PK\x03\x04"):
        return Detected(FORMATS["apple_health"])
    with text_stream(io.BytesIO(head)) as decoded:
        text = decoded.read().lstrip("\ufeff \t\r\n")
    if not text:
        return Detected(empty=True)
    if "\x00" in text:
        return Detected()
    if text.startswith("<"):
        if "<HealthData" in text or "DOCTYPE HealthData" in text:
            return Detected(FORMATS["apple_health"])
        if "<ClinicalDocument" in text:
            return Detected(skip="Apple Health's clinical document (export_cda.xml)")
        return Detected()
    if text.startswith(RECORD_START):
        return Detected(FORMATS["meditation_helper"])
    first_line = text.splitlines()[0]
    cells = [c.strip().lower() for c in next(csv.reader([first_line]), [])]
    if cells == INSIGHT_TIMER_HEADER:
        return Detected(FORMATS["insight_timer"])
    if cells == MEDITATION_ASSISTANT_HEADER:
        return Detected(FORMATS["meditation_assistant"])
    if cells and cells[0].startswith("com.samsung."):
        if SAMSUNG_MINDFULNESS in cells[0]:
            return Detected(FORMATS["samsung_health"])
        return Detected(skip=f"Samsung Health's {cells[0]} table, which holds no sessions")
    if text.startswith(("[", "{")) or plain_header(first_line, reading):
        return Detected(FORMATS["plain"])
    return Detected()


def ends_whole(fmt: Format | None, head: bytes, tail: bytes) -> bool:
    """Whether a file's last record looks complete from its last bytes: a line end follows
    it. Meditation Helper Plus closes a record with U+0FCC before the line end, and a comment
    may span lines, so in that layout a line end alone is not enough."""
    tail = tail.rstrip(b"\x00")  # UTF-16 puts a NUL beside the line end
    if tail[-1:] not in (b"\n", b"\r"):
        return False
    if fmt is FORMATS["meditation_helper"] and (
        head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(_HELPER_CLOSED)
    ):
        return tail.rstrip(b"\r\n").endswith(FIELD_SEPARATOR.encode())
    return True
