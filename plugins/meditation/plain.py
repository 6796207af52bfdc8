"""The plain format, for every app without an export of its own: CSV, JSON or JSON Lines.

A record has ``start`` (ISO 8601; without an offset it is local wall-clock time), and
``duration`` (minutes, or ``H:M:S``) or ``end``; ``kind`` and ``note`` are optional. The
source's ``columns`` option maps these names to a file's own headers or keys.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import IO, Any

from .options import FIELDS
from .session import (
    Broken,
    Item,
    Lines,
    LineTooLong,
    Reading,
    Session,
    Unreadable,
    activity_of,
    checked_seconds,
    csv_rows,
    duration_between,
    header_index,
    local_time,
    parse_hms,
    parse_number,
    text_stream,
)

DELIMITERS = (",", ";", "\t")
# A JSON document is read whole; past this size JSON Lines is the way.
MAX_JSON = 64 << 20


def column(reading: Reading, name: str) -> str:
    return reading.columns.get(name, name).strip().lower()


def delimiter_of(first_line: str) -> str:
    """The separator a spreadsheet used: comma, or semicolon where the decimal mark is one."""
    return max(DELIMITERS, key=first_line.count)


def plain_header(first_line: str, reading: Reading) -> bool:
    """Whether a CSV header names a start and a duration or end (after ``columns``)."""
    cells = next(csv.reader([first_line], delimiter=delimiter_of(first_line)), [])
    names = {cell.strip().lower() for cell in cells}
    return column(reading, "start") in names and bool(
        {column(reading, "duration"), column(reading, "end")} & names
    )


def _moment(text: str, what: str, reading: Reading) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{what} {text.strip()!r} is not an ISO 8601 date and time") from None
    if len(text.strip()) <= 10:
        raise ValueError(f"{what} {text.strip()!r} has no time of day")
    return moment if moment.utcoffset() is not None else local_time(moment, reading.zone)


def _seconds(value: object) -> float:
    """Minutes as a number (``12``, ``12.5``, ``"12,5"``), or ``H:M:S`` as text."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"duration {value!r} is neither minutes nor H:M:S")
    if isinstance(value, str):
        return parse_hms(value) if ":" in value else parse_number(value, "duration") * 60
    if value != value or value < 0:  # NaN or negative
        raise ValueError(f"duration {value!r} is not a positive number of minutes")
    return float(value) * 60


def _text(value: object, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{what} {value!r} is not text")
    return value


def _session(line: int, get: Callable[[str], object], reading: Reading) -> Item:
    try:
        started = _text(get("start"), "start")
        if not started.strip():
            raise ValueError("no start")
        start = _moment(started, "start", reading)
        duration = get("duration")
        if duration is not None and str(duration).strip():
            seconds = _seconds(duration)
        else:
            ended = _text(get("end"), "end")
            if not ended.strip():
                raise ValueError("neither a duration nor an end")
            seconds = duration_between(start, _moment(ended, "end", reading))
        seconds = checked_seconds(seconds)
        kind = activity_of(_text(get("kind"), "kind"))
        note = _text(get("note"), "note").strip()
    except (ValueError, OverflowError) as exc:
        return Broken(line, str(exc))
    return Session(start, seconds, kind, "", line, note)


def read_plain(stream: IO[bytes], reading: Reading) -> Iterator[Item]:
    with text_stream(io.BytesIO(stream.read(4096))) as head:
        probe = head.read().lstrip("\ufeff \t\r\n")
    stream.seek(0)
    if probe.startswith(("[", "{")):
        with text_stream(stream) as text:
            if probe.startswith("["):
                yield from _json_array(text, reading)
            else:
                yield from _json_lines(text, reading)
    else:
        yield from _csv(stream, delimiter_of(probe.split("\n", 1)[0]), reading)


def _csv(stream: IO[bytes], delimiter: str, reading: Reading) -> Iterator[Item]:
    rows = csv_rows(stream, delimiter)
    header = next(rows, None)
    if not isinstance(header, tuple):
        return
    index = header_index(header[1])
    wanted = {name: index.get(column(reading, name)) for name in FIELDS}
    if wanted["start"] is None or (wanted["duration"] is None and wanted["end"] is None):
        raise Unreadable(
            "its header has no start column and no duration or end column "
            "(the columns option maps other names)"
        )
    for row in rows:
        if isinstance(row, Broken):
            yield row
            continue
        line, cells = row

        def get(name: str, cells: list[str] = cells) -> object:
            position = wanted[name]
            return cells[position] if position is not None and position < len(cells) else None

        yield _session(line, get, reading)


def _record(line: int, value: Any, reading: Reading) -> Item:
    if not isinstance(value, dict):
        return Broken(
            line, f"expected an object with start and duration, got {type(value).__name__}"
        )
    keys: Mapping[str, Any] = {str(k).strip().lower(): v for k, v in value.items()}
    return _session(line, lambda name: keys.get(column(reading, name)), reading)


def _json_lines(text: IO[str], reading: Reading) -> Iterator[Item]:
    lines = Lines(text)
    while True:
        try:
            raw = next(lines)
        except StopIteration:
            return
        except LineTooLong:
            yield Broken(lines.number, "a line too long to be a session")
            continue
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            yield Broken(lines.number, f"not valid JSON ({exc})")
            continue
        yield _record(lines.number, value, reading)


def _json_array(text: IO[str], reading: Reading) -> Iterator[Item]:
    """An array of objects, each reported at the line it starts on."""
    document = text.read(MAX_JSON + 1)
    if len(document) > MAX_JSON:
        raise Unreadable(f"a JSON document over {MAX_JSON >> 20} MiB (write JSON Lines instead)")
    decoder = json.JSONDecoder()
    position = document.index("[") + 1
    line = 1 + document.count("\n", 0, position)
    while True:
        start = _skip_space(document, position)
        line += document.count("\n", position, start)
        if start < len(document) and document[start] == "]":
            return
        try:
            value, position = decoder.raw_decode(document, start)
        except (ValueError, RecursionError) as exc:
            yield Broken(line, f"not valid JSON from here on ({exc})")
            return
        yield _record(line, value, reading)
        line += document.count("\n", start, position)
        after = _skip_space(document, position)
        line += document.count("\n", position, after)
        if after < len(document) and document[after] == ",":
            position = after + 1
        elif after < len(document) and document[after] == "]":
            return
        else:
            yield Broken(line, "not valid JSON from here on (expected , or ] between records)")
            return


def _skip_space(document: str, position: int) -> int:
    while position < len(document) and document[position] in " \t\r\n":
        position += 1
    return position
