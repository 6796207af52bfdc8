"""The journal's lines: one win a line, as Markdown list items a person can read and edit.

    - 2026-11-30T18:30+01:00 Figured out the flaky test #work [value:: 20 min] ^k3x9q2

A list item (``-``, ``*`` or ``+``; a done task ``- [x]`` too, an open one ``- [ ]`` is not
a win), then the time (ISO 8601: a date, a date and time, with or without an offset), the
title, then tags (``#word``), ``[value:: 20 min]`` and the id (``^`` and 4 to 16 lower-case
letters or digits) at the end. Lines that are not list items (headings, notes) are left
alone. A line without an id is known by its text, so editing it makes it a new win.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_LINE = 4096  # bytes; a longer line is named as a problem, the others still count
ID_ALPHABET = string.ascii_lowercase + string.digits

_ITEM = re.compile(r"^\s*[-*+]\s+(?:\[([ xX])\]\s+)?(.*)$")
_WHEN = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(Z|[+-]\d{2}:?\d{2})?)?(?=\s|$)"
)
_LOOKS_DATED = re.compile(r"^\d{4}-\d")
_ID = re.compile(r"\s\^([a-z0-9]{4,16})$")
_TAG = re.compile(r"\s#([^\W\d][\w/-]*)$")
_FIELD = re.compile(r"\s\[(\w+)::\s*([^\]]*)\]$")
_VALUE = re.compile(r"^(\d+(?:\.\d+)?)\s*(.*)$")


class BadLine(ValueError):
    """A list item that cannot be read; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One win of the journal as written on its line."""

    key: str
    title: str
    at: datetime | None  # None: the line has no time
    tags: tuple[str, ...] = ()
    value: float = 1.0
    unit: str = ""
    fingerprint: str = ""


def new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(6))


def fingerprint(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def parse(text: str, zone: ZoneInfo) -> Entry | None:
    """The entry of one line (without its newline); None when the line is not a win."""
    item = _ITEM.match(text)
    if item is None or item.group(1) == " ":
        return None
    rest = " " + item.group(2).rstrip()
    found = _ID.search(rest)
    key = ""
    if found:
        key, rest = found.group(1), rest[: found.start()]
    tags: list[str] = []
    value, unit = 1.0, ""
    while True:
        tag = _TAG.search(rest)
        if tag:
            tags.insert(0, tag.group(1))
            rest = rest[: tag.start()]
            continue
        field = _FIELD.search(rest)
        if field and field.group(1) == "value":
            number = _VALUE.match(field.group(2).strip())
            if number is None:
                raise BadLine(
                    f"[value:: {field.group(2)}] needs a number first, as [value:: 20 min]"
                )
            value, unit = float(number.group(1)), number.group(2).strip()
            rest = rest[: field.start()]
            continue
        break
    rest = rest.strip()
    at = None
    when = _WHEN.match(rest)
    if when:
        at = _moment(when, zone)
        rest = rest[when.end() :].strip()
    elif _LOOKS_DATED.match(rest):
        raise BadLine(f"{rest.split()[0]!r} is not a time: write it as 2026-11-30T18:30")
    if not rest:
        raise BadLine("the win has no title: write what you did after the time")
    return Entry(
        key or "text-" + fingerprint(text.strip()),
        rest,
        at,
        tuple(tags),
        value,
        unit,
        fingerprint(text.strip()),
    )


def _moment(found: re.Match[str], zone: ZoneInfo) -> datetime:
    day_text, clock, offset = found.groups()
    try:
        day = date.fromisoformat(day_text)
        if clock is None:
            # A day without a time: its middle, so it counts for that day whenever it starts.
            return datetime.combine(day, time(12), zone)
        moment = datetime.fromisoformat(f"{day_text}T{clock}{offset or ''}")
    except ValueError:
        raise BadLine(f"{found.group(0)!r} is not a time: write it as 2026-11-30T18:30") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def line_for(
    title: str,
    at: datetime,
    *,
    tags: tuple[str, ...] = (),
    value: float | None = None,
    unit: str = "",
    key: str,
) -> str:
    """The journal line of a win (without its newline), as ``parse`` reads it back."""
    stamp = at.isoformat(timespec="minutes")
    parts = [f"- {stamp} {title}"]
    parts += [f"#{tag}" for tag in tags]
    if value is not None:
        number = f"{value:g}"
        parts.append(f"[value:: {number} {unit}]".replace(" ]", "]"))
    parts.append(f"^{key}")
    return " ".join(parts)


def check_title(title: str) -> str:
    """A title fit for one line; a ValueError saying what to change."""
    title = " ".join(title.split())
    if not title:
        raise ValueError('the win needs a few words: smallwins done "what you did"')
    if len(title.encode("utf-8")) > MAX_LINE - 200:
        raise ValueError(f"the text is too long for one line: keep it under {MAX_LINE - 200} bytes")
    return title


def check_tag(tag: str) -> str:
    tag = tag.lstrip("#")
    if not re.fullmatch(r"[^\W\d][\w/-]*", tag):
        raise ValueError(f"tag {tag!r}: a tag is one word starting with a letter, as --tag work")
    return tag


FUTURE_SLACK = timedelta(minutes=5)  # clocks of synced machines differ a little
