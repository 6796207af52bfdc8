"""What every format reader yields: sessions, and broken records with the line they start on.

Also the small parsers that several formats share: wall-clock times, durations, activities, and
text read in bounded pieces.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

# A record or line longer than this is junk (binary data, a runaway quote), never a session:
# it is skipped and reported instead of being held in memory.
MAX_LINE = 1 << 20
# An activity or app name longer than this is not a name.
MAX_NAME = 80

_HMS = re.compile(r"\s*(\d+):(\d{1,2}):(\d{1,2})\s*", re.ASCII)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s_\-]+")


@dataclass(frozen=True, slots=True)
class Session:
    """One sitting (or walk, or breath) as an export records it.

    ``start`` is aware. ``seconds`` is the duration the app wrote, uncapped. ``app`` names
    whoever recorded it ("Insight Timer", or the app that wrote to Apple Health).
    """

    start: datetime
    seconds: float
    activity: str
    app: str
    line: int
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Broken:
    """A record that cannot be read; ``message`` says why in words a user can act on."""

    line: int | None
    message: str


Item = Session | Broken


class Unreadable(Exception):
    """A whole file cannot be read in its format (no header, not a zip of an export, ...)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What a reader needs besides the bytes: the zone of wall-clock times, and the plain
    format's column names (lower case, keyed by start, end, duration, kind, note)."""

    zone: ZoneInfo
    columns: Mapping[str, str] = field(default_factory=dict)


def activity_of(text: str) -> str:
    """``PracticeType.TaiChi``, ``Tai chi`` and ``tai_chi`` all become ``tai-chi``."""
    if len(text) > MAX_NAME:
        raise ValueError(f"activity {text[:20]!r}... is longer than {MAX_NAME} characters")
    return _activity(text)


# Every row names its activity: the few names there are are worked out once.
@functools.lru_cache(maxsize=256)
def _activity(text: str) -> str:
    word = text.strip()
    if word.lower().startswith("practicetype."):
        word = word[len("practicetype.") :]
    word = _CAMEL.sub(" ", word)
    slug = _SEPARATORS.sub("-", word.strip().lower()).strip("-")
    return slug or "meditation"


def local_time(naive: datetime, zone: ZoneInfo) -> datetime:
    """The instant a wall-clock time in ``zone`` names, as java.time resolves it.

    A time in a spring-forward gap (02:30 on the day clocks jump to 03:00) is read with the
    offset from before the jump, so it lands as far after the jump as it was after the old
    hour (03:30). A time that occurs twice (the autumn hour) is the first of the two. Both
    follow from ``fold=0``; the round trip through UTC turns 02:30 into the 03:30 it became.
    """
    try:
        return naive.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)
    except OverflowError:
        raise ValueError(f"{naive} is out of range") from None


def from_utc(naive: datetime) -> datetime:
    return naive.replace(tzinfo=UTC)


def parse_time(text: str, what: str, shape: str, *formats: str) -> datetime:
    """``text`` in the first of ``formats`` that fits; the error names ``shape``."""
    for form in formats:
        try:
            return datetime.strptime(text.strip(), form)
        except ValueError:
            continue
    raise ValueError(f"{what} {text.strip()!r} is not {shape}")


def parse_hms(text: str) -> float:
    """``H:M:S`` with nothing padded and hours unbounded (``0:25:0``, ``87:21:41``)."""
    match = _HMS.fullmatch(text)
    if match is None:
        raise ValueError(f"duration {text.strip()!r} is not H:M:S")
    hours, minutes, seconds = map(int, match.groups())
    if minutes > 59 or seconds > 59:
        raise ValueError(f"duration {text.strip()!r} has more than 59 minutes or seconds")
    return float(hours * 3600 + minutes * 60 + seconds)


def parse_number(text: str, what: str) -> float:
    """A plain decimal number; a spreadsheet's decimal comma (``12,5``) is accepted."""
    cleaned = text.strip().replace(",", ".", 1) if text.count(",") == 1 else text.strip()
    if not re.fullmatch(r"\d+(\.\d*)?|\.\d+", cleaned):
        raise ValueError(f"{what} {text.strip()!r} is not a number")
    return float(cleaned)


def duration_between(start: datetime, end: datetime) -> float:
    seconds = (end - start).total_seconds()
    if seconds < 0:
        raise ValueError("it ends before it starts")
    return seconds


def checked_seconds(seconds: float) -> float:
    # A duration past 10,000 days is a corrupt field, and would overflow the arithmetic.
    if not 0 <= seconds < timedelta(days=10_000).total_seconds():
        raise ValueError(f"duration of {seconds:g} s is out of range")
    return seconds


def text_stream(stream: IO[bytes]) -> IO[str]:
    """A text view of ``stream`` (closing it closes ``stream``), decoded by its BOM: UTF-8
    (with or without one) or UTF-16. Bytes that do not decode become U+FFFD, so a stray
    Latin-1 note costs one character, not the file."""
    start = stream.read(4)
    stream.seek(-len(start), io.SEEK_CUR)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    # newline="" leaves CR LF to the csv module, which also needs it inside quoted fields.
    return io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")


class LineTooLong(Exception):
    pass


class Lines:
    """The lines of a text stream, counted, each at most MAX_LINE characters.

    A longer line is skipped to its end and raises LineTooLong; iteration can go on after it,
    which a generator could not do.
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.number = 0

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(MAX_LINE)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) == MAX_LINE and not line.endswith(("\n", "\r")):
            while (rest := self.stream.readline(MAX_LINE)) and not rest.endswith(("\n", "\r")):
                pass
            raise LineTooLong
        return line


def csv_rows(stream: IO[bytes], delimiter: str = ",") -> Iterator[tuple[int, list[str]] | Broken]:
    """Each non-blank CSV record of a file with the line it starts on, or a Broken one."""
    with text_stream(stream) as text:
        lines = Lines(text)
        reader = csv.reader(lines, delimiter=delimiter)
        while True:
            first = lines.number + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except LineTooLong:
                yield Broken(lines.number, f"a line longer than {MAX_LINE:,} characters")
                continue
            except csv.Error as exc:
                yield Broken(first, f"not valid CSV ({exc})")
                continue
            if any(cell.strip() for cell in row):
                yield first, row


def header_index(row: list[str]) -> dict[str, int]:
    """Column name (trimmed, lower case) -> position; the first of duplicate names wins."""
    index: dict[str, int] = {}
    for position, name in enumerate(row):
        index.setdefault(name.strip().lower(), position)
    return index


class Counted(io.RawIOBase):
    """A file that tells ``read_to`` its position after each read, for a scan's progress: a
    call per buffer filled (64 KiB and up), never per record."""

    def __init__(self, raw: io.FileIO, read_to: Callable[[int], None]) -> None:
        super().__init__()
        self._raw = raw
        self._read_to = read_to

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._raw.fileno()

    def readinto(self, buffer: Any) -> int | None:
        count = self._raw.readinto(buffer)
        self._read_to(self._raw.tell())
        return count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()
