"""Readers for the exports of Insight Timer, Meditation Assistant, Samsung Health and
Meditation Helper Plus. Each takes the file's bytes and yields Session or Broken items."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import IO

from .session import (
    MAX_LINE,
    Broken,
    Item,
    Reading,
    Session,
    Unreadable,
    activity_of,
    checked_seconds,
    csv_rows,
    duration_between,
    from_utc,
    header_index,
    local_time,
    parse_hms,
    parse_number,
    parse_time,
    text_stream,
)

INSIGHT_TIMER_HEADER = ["started at", "duration", "preset", "activity"]
MEDITATION_ASSISTANT_HEADER = ["id", "length", "started", "completed", "message"]
SAMSUNG_MINDFULNESS = ".mindfulness.history"
RECORD_START = "\u0fc4"
FIELD_SEPARATOR = "\u0fcc"


_US_DATE_TIME = re.compile(
    r"\s*(\d{1,2})/(\d{1,2})/(\d{4}) +(\d{1,2}):(\d{1,2}):(\d{1,2})\s*", re.ASCII
)
_HOURS_MINUTES = re.compile(r"\s*(\d+):(\d{1,2})\s*", re.ASCII)


def _us_date_time(text: str) -> datetime:
    """``MM/DD/YYYY HH:MM:SS``, 24-hour; unpadded fields are accepted too."""
    match = _US_DATE_TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"start {text.strip()!r} is not MM/DD/YYYY HH:MM:SS")
    month, mday, year, hour, minute, second = map(int, match.groups())
    try:
        return datetime(year, month, mday, hour, minute, second)
    except ValueError:
        raise ValueError(f"start {text.strip()!r} is not a valid date and time") from None


def _assistant_time(text: str, what: str) -> datetime:
    """``yyyy-MM-dd HH:mm`` in UTC, with seconds tolerated."""
    moment = parse_time(text, what, "yyyy-MM-dd HH:mm", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
    return from_utc(moment)


def read_insight_timer(stream: IO[bytes], reading: Reading) -> Iterator[Item]:
    """``Started At,Duration,Preset,Activity``: local times, newest first, no final newline."""
    rows = csv_rows(stream)
    header = next(rows, None)
    if not isinstance(header, tuple) or [c.strip().lower() for c in header[1]] != (
        INSIGHT_TIMER_HEADER
    ):
        raise Unreadable("its first line is not Started At,Duration,Preset,Activity")
    for row in rows:
        if isinstance(row, Broken):
            yield row
            continue
        line, cells = row
        # A cut-off row (a file read while being written) must not pass for a short session.
        if len(cells) != 4:
            yield Broken(
                line, f"expected 4 fields (Started At,Duration,Preset,Activity), got {len(cells)}"
            )
            continue
        started, duration, preset, activity = cells
        try:
            start = local_time(_us_date_time(started), reading.zone)
            seconds = checked_seconds(parse_hms(duration))
            kind = activity_of(activity)
        except ValueError as exc:
            yield Broken(line, str(exc))
            continue
        extra = {"preset": preset.strip()} if preset.strip() else {}
        yield Session(start, seconds, kind, "Insight Timer", line, extra=extra)


def read_meditation_assistant(stream: IO[bytes], reading: Reading) -> Iterator[Item]:
    """``"ID","Length","Started","Completed","Message"``: Length is HH:MM, times are UTC."""
    rows = csv_rows(stream)
    header = next(rows, None)
    if not isinstance(header, tuple) or [c.strip().lower() for c in header[1]] != (
        MEDITATION_ASSISTANT_HEADER
    ):
        raise Unreadable('its first line is not "ID","Length","Started","Completed","Message"')
    for row in rows:
        if isinstance(row, Broken):
            yield row
            continue
        line, cells = row
        if len(cells) != 5:
            yield Broken(
                line, f"expected 5 fields (ID,Length,Started,Completed,Message), got {len(cells)}"
            )
            continue
        ident, length, started, completed, message = cells
        try:
            start = _assistant_time(started, "start")
            if length.strip():
                match = _HOURS_MINUTES.fullmatch(length)
                if match is None:
                    raise ValueError(f"length {length.strip()!r} is not HH:MM")
                seconds = float(int(match[1]) * 3600 + int(match[2]) * 60)
            else:
                seconds = duration_between(start, _assistant_time(completed, "completed"))
            seconds = checked_seconds(seconds)
        except ValueError as exc:
            yield Broken(line, str(exc))
            continue
        extra = {"id": ident.strip()} if ident.strip() else {}
        yield Session(
            start, seconds, "meditation", "Meditation Assistant", line, message.strip(), extra
        )


def _samsung_offset(text: str) -> timezone | None:
    """``UTC+0530`` -> +05:30; None when absent or unreadable (the zone is only cosmetic)."""
    value = text.strip().upper().removeprefix("UTC").removeprefix("GMT")
    if len(value) != 5 or value[0] not in "+-" or not (value[1:].isascii() and value[1:].isdigit()):
        return None
    minutes = int(value[1:3]) * 60 + int(value[3:5])
    if minutes >= 24 * 60:
        return None
    return timezone(timedelta(minutes=-minutes if value[0] == "-" else minutes))


def _samsung_time(text: str, what: str) -> datetime:
    """``2025-10-26 03:05:24.345``, in UTC."""
    shape = "yyyy-MM-dd HH:mm:ss.SSS"
    return from_utc(parse_time(text, what, shape, "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"))


def read_samsung_health(stream: IO[bytes], reading: Reading) -> Iterator[Item]:
    """``com.samsung.shealth.mindfulness.history.*.csv``.

    Line 1 names the table, line 2 is the header. Column names may carry the table's prefix
    (``com.samsung.health.mindfulness.start_time``), and data rows often end in one comma
    more than the header: both are read by name, not position.
    """
    rows = csv_rows(stream)
    table = next(rows, None)
    if not isinstance(table, tuple) or SAMSUNG_MINDFULNESS not in table[1][0]:
        raise Unreadable("its first line does not name Samsung Health's mindfulness table")
    header = next(rows, None)
    if not isinstance(header, tuple):
        return
    index = header_index([name.rsplit(".", 1)[-1] for name in header[1]])
    if "start_time" not in index or not {"duration", "end_time"} & index.keys():
        raise Unreadable("its header has no start_time and duration (or end_time) columns")

    def cell(cells: list[str], name: str) -> str:
        position = index.get(name)
        return cells[position] if position is not None and position < len(cells) else ""

    for row in rows:
        if isinstance(row, Broken):
            yield row
            continue
        line, cells = row
        try:
            start = _samsung_time(cell(cells, "start_time"), "start_time")
            duration = cell(cells, "duration").strip()
            if duration:
                seconds = parse_number(duration, "duration") / 1000
            else:
                seconds = duration_between(
                    start, _samsung_time(cell(cells, "end_time"), "end_time")
                )
            seconds = checked_seconds(seconds)
            offset = _samsung_offset(cell(cells, "time_offset"))
            if offset is not None:
                start = start.astimezone(offset)
        except (ValueError, OverflowError) as exc:
            yield Broken(line, str(exc))
            continue
        extra = {
            name: cell(cells, name).strip()
            for name in ("program_title", "track_title", "mood")
            if cell(cells, name).strip()
        }
        yield Session(start, seconds, "meditation", "Samsung Health", line, extra=extra)


def _helper_records(stream: IO[bytes]) -> Iterator[tuple[int, str] | Broken]:
    """Each U+0FC4-started record with the line it starts on, read in chunks; a record longer
    than MAX_LINE is reported once and dropped up to the next record start."""
    with text_stream(stream) as text:
        yield from _split_records(text)


def _split_records(text: IO[str]) -> Iterator[tuple[int, str] | Broken]:
    pending = ""  # what follows the last record start seen (or the text before the first)
    line = 1  # the line `pending` starts on
    started = False  # a record start has been seen
    dropping = False  # `pending` continues a record that was too long
    while chunk := text.read(1 << 16):
        *complete, last = (pending + chunk).split(RECORD_START)
        for piece in complete:
            if dropping:
                dropping = False
            elif started:
                yield line, piece
            elif piece.strip():
                yield Broken(line, "text before the first record start (U+0FC4)")
            started = True
            line += piece.count("\n")
        pending = last
        if len(pending) > MAX_LINE:
            if not dropping:
                yield Broken(line, f"a record longer than {MAX_LINE:,} characters")
            line += pending.count("\n")
            pending, dropping = "", True
    if dropping:
        return
    if started:
        yield line, pending
    elif pending.strip():
        yield Broken(1, "no record start (U+0FC4) in the file")


def _helper_time(text: str, what: str) -> datetime:
    return parse_time(text, what, "YYYY-MM-DD HH:MM:SS", "%Y-%m-%d %H:%M:%S")


def _helper_fields(record: str) -> list[str]:
    """A record's fields. The app writes U+0FCC before the first field and after the comment
    too (``࿄࿌start࿌end࿌ms࿌comment࿌``); records without those outer separators are read alike."""
    body = record.rstrip().removeprefix(FIELD_SEPARATOR).removesuffix(FIELD_SEPARATOR)
    return body.split(FIELD_SEPARATOR, 3)


def read_meditation_helper(stream: IO[bytes], reading: Reading) -> Iterator[Item]:
    """Meditation Helper Plus: no header; each record starts with U+0FC4, and its fields
    (start, end, duration in ms, comment) are separated by U+0FCC. Times are local. Comments
    may span lines. The duration field wins over end minus start when the two disagree."""
    for item in _helper_records(stream):
        if isinstance(item, Broken):
            yield item
            continue
        line, record = item
        fields = _helper_fields(record)
        if len(fields) < 3:
            yield Broken(
                line, f"expected start, end, duration and comment, got {len(fields)} fields"
            )
            continue
        started, ended, duration = fields[:3]
        comment = fields[3] if len(fields) == 4 else ""
        try:
            start = local_time(_helper_time(started, "start"), reading.zone)
            if duration.strip():
                seconds = parse_number(duration, "duration") / 1000
            else:
                end = local_time(_helper_time(ended, "end"), reading.zone)
                seconds = duration_between(start, end)
            seconds = checked_seconds(seconds)
        except ValueError as exc:
            yield Broken(line, str(exc))
            continue
        yield Session(start, seconds, "meditation", "Meditation Helper", line, comment.strip())
