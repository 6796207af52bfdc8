"""Reading one calendar file into the components worth looking at, whatever shape it is in.

icalendar is strict: one bad line (an alarm's ``TRIGGER:PT-2H``, an offset of ``+5328``) makes
it refuse the whole file, and a file cut off before ``END:VCALENDAR`` parses as nothing. Both
are common in the wild, so a file that does not parse is read again component by component,
and each event or to-do that parses on its own still counts. Alarms are dropped on that path:
nothing here needs them, and they are where most of the breakage is.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .values import one, text_of, time_of

if TYPE_CHECKING:
    from icalendar import Calendar, Component

__all__ = ["Broken", "Parsed", "Unreadable", "fingerprint", "parse", "read"]

MIB = 1 << 20
KINDS = ("VEVENT", "VTODO")
# Properties that say which item this is and when; there must be one of each at most.
SINGLE = ("UID", "DTSTART", "DTEND", "DUE", "DURATION", "RECURRENCE-ID")
# Properties an event or to-do cannot be placed in time without.
TIME_PROPERTIES = frozenset(
    {"DTSTART", "DTEND", "DUE", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}
)
REASON_MAX = 120
NAME_MAX = 40
# VCALENDAR > VEVENT > VALARM is as deep as real calendars go; a file nested far deeper is
# built to wear a parser out, and is refused before icalendar sees it.
MAX_DEPTH = 8
# icalendar holds about 8 KB for each event it parses, and a content line whole, so these keep
# a file's cost bounded whatever max_file_mib allows: about 400 MB and a minute at most.
MAX_ENTRIES = 50_000
MAX_LINE_MIB = 4
_BEGIN = re.compile(rb"BEGIN:", re.IGNORECASE)
# Found anywhere, then kept at the start of a line (after CRLF, LF or CR): a search for the
# words alone is many times quicker over a long line than one that also asks where it is.
_BEGIN_OR_END = re.compile(
    rb"(BEGIN|END):(?:(VEVENT|VTODO)[ \t]*(?=[\r\n]|$))?", re.IGNORECASE | re.MULTILINE
)
# The end of a content line: a line break not followed by the space or tab of a folded line.
_LINE_END = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?![ \t])")


class Unreadable(Exception):
    """The file gives nothing: the message says why, in words a user can act on."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(slots=True)
class Broken:
    """Components of a file that were skipped: how many, and why the first one was."""

    count: int = 0
    reason: str = ""
    line: int | None = None

    def add(self, reason: str, line: int | None = None) -> None:
        if not self.count:
            self.reason, self.line = reason, line
        self.count += 1


@dataclass(slots=True)
class Parsed:
    """The usable part of a file: one VCALENDAR holding its time zones, events and to-dos."""

    calendar: Calendar
    name: str | None
    total: int
    broken: Broken = field(default_factory=Broken)


def read(path: str, max_mib: float) -> bytes:
    max_bytes = int(max_mib * MIB)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            # Read to the size the file has: a buffer of max_file_mib would be held in full.
            data = handle.read(size + 1) if size <= max_bytes else b""
            if len(data) > size:  # grown since fstat
                data += handle.read(max_bytes + 1 - len(data))
    except OSError as exc:
        raise Unreadable(f"cannot be read: {exc.strerror or exc}") from None
    if size > max_bytes or len(data) > max_bytes:
        raise Unreadable(
            f"is {max(size, len(data)) / MIB:.3g} MiB, more than max_file_mib = "
            f"{max_mib:g}; skipped (raise max_file_mib to read it)"
        )
    return data


def fingerprint(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def parse(data: bytes) -> Parsed:
    """The usable components of ``data``; raises Unreadable when there are none to be had."""
    from icalendar import Calendar, GloballyUniqueTZIDGuessed

    # Reading "/freeassociation.sourceforge.net/Europe/Berlin" as Europe/Berlin is what every
    # client does; icalendar's warning about it would print to stderr on every scan. Added
    # on each call (it replaces itself), so a warnings context set up since still has it.
    warnings.filterwarnings("ignore", category=GloballyUniqueTZIDGuessed)

    if not data or data.isspace():
        return Parsed(Calendar(), None, 0)
    if not _BEGIN.search(data):
        raise Unreadable("is not an iCalendar file (no BEGIN:VCALENDAR)")
    _check_shape(data)
    why = "no complete VCALENDAR in it"
    try:
        found = Calendar.from_ical(data, multiple=True)
    except Exception as exc:  # icalendar is fed arbitrary bytes; what it raises means a bad file
        found, why = [], _clip(str(exc)) or type(exc).__name__
    if found:
        calendar = _one_calendar(found)
        parsed = Parsed(calendar, None, 0)
    else:
        parsed = _salvage(data, why)
    _keep_usable(parsed)
    parsed.name = text_of(parsed.calendar, "X-WR-CALNAME")[:NAME_MAX] or None
    return parsed


def _line_at(data: bytes, offset: int) -> int:
    breaks = data.count(b"\n", 0, offset) + data.count(b"\r", 0, offset)
    return breaks - data.count(b"\r\n", 0, offset) + 1


def _check_shape(data: bytes) -> None:
    """Refuse, before icalendar sees it, a file past the caps on nesting, entries and lines."""
    depth = entries = 0
    for mark in _BEGIN_OR_END.finditer(data):
        if mark.start() and data[mark.start() - 1] not in b"\r\n":
            continue
        if mark.group(1).upper() == b"END":
            depth = max(0, depth - 1)
            continue
        depth += 1
        entries += mark.group(2) is not None
        if depth > MAX_DEPTH:
            line = _line_at(data, mark.start())
            raise Unreadable(
                f"has components nested more than {MAX_DEPTH} deep (line {line}); real "
                "calendars nest 3 or 4 deep, so this is not one smallwins can read",
                line,
            )
        if entries > MAX_ENTRIES:
            line = _line_at(data, mark.start())
            raise Unreadable(
                f"has more than {MAX_ENTRIES:,} events and to-dos (line {line}), more than "
                "smallwins reads from one file; skipped (split it into smaller files)",
                line,
            )
    _check_lines(data)


def _check_lines(data: bytes) -> None:
    limit = MAX_LINE_MIB * MIB
    if len(data) <= limit:
        return
    start = 0
    for mark in _LINE_END.finditer(data):
        if mark.start() - start > limit:
            break
        start = mark.end()
    else:
        if len(data) - start <= limit:
            return
    end = _LINE_END.search(data, start)
    size = (end.start() if end else len(data)) - start
    line = _line_at(data, start)
    raise Unreadable(
        f"has a line of {size / MIB:.3g} MiB (line {line}), more than the "
        f"{MAX_LINE_MIB} MiB smallwins reads in one property; skipped",
        line,
    )


def _one_calendar(found: list[Any]) -> Calendar:
    """One VCALENDAR from several, or from bare components (khal writes those in its tests)."""
    from icalendar import Calendar

    if len(found) == 1 and found[0].name == "VCALENDAR":
        calendar: Calendar = found[0]
        return calendar
    calendar = Calendar()
    for component in found:
        if component.name == "VCALENDAR":
            for key, value in component.items():
                calendar.setdefault(key, value)
            for sub in component.subcomponents:
                calendar.add_component(sub)
        else:
            calendar.add_component(component)
    return calendar


def _keep_usable(parsed: Parsed) -> None:
    kept: list[Component] = []
    for component in parsed.calendar.subcomponents:
        if component.name not in KINDS:
            kept.append(component)
            continue
        parsed.total += 1
        reason = _unusable(component)
        if reason is None:
            _ensure_uid(component)
            kept.append(component)
        else:
            parsed.broken.add(reason)
    parsed.calendar.subcomponents = kept


def _unusable(component: Component) -> str | None:
    for name, message in getattr(component, "errors", ()):
        if name is None or name.upper() in TIME_PROPERTIES:
            return _clip(f"bad {name or 'line'}: {message}")
    for name in SINGLE:
        if isinstance(component.get(name), list):
            return f"{name} given more than once"
    if component.name == "VEVENT" and time_of(component, "DTSTART") is None:
        return "an event without a start time (DTSTART)"
    if "RECURRENCE-ID" in component and time_of(component, "RECURRENCE-ID") is None:
        return "bad RECURRENCE-ID: not a date or a time"
    return None


def _ensure_uid(component: Component) -> None:
    # A UID is what makes a win count once; without one, what the item says must do.
    if text_of(component, "UID"):
        return
    parts = [str(component.name)]
    for key in ("DTSTART", "DUE", "SUMMARY", "RECURRENCE-ID"):
        value = one(component, key)
        if value is not None:
            raw = value.to_ical()
            parts.append(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=10).hexdigest()
    component["UID"] = f"no-uid-{digest}"


@dataclass(slots=True)
class _Block:
    name: str
    line: int
    lines: list[str]
    complete: bool = False


def _blocks(text: str) -> tuple[list[_Block], list[str]]:
    """Each top-level component (alarms left out), and the VCALENDAR's own property lines."""
    blocks: list[_Block] = []
    header: list[str] = []
    stack: list[str] = []
    alarms = 0  # how many VALARMs the stack holds: asking the stack itself costs its depth
    for number, line in enumerate(text.splitlines(), 1):
        upper = line.upper()
        if upper.startswith("BEGIN:"):
            name = upper[6:].strip()
            if not stack and name == "VCALENDAR":
                continue
            if not stack:
                blocks.append(_Block(name, number, []))
            stack.append(name)
            alarms += name == "VALARM"
        if stack and not alarms:
            blocks[-1].lines.append(line)
        elif not stack and line.strip() and not upper.startswith("END:VCALENDAR"):
            header.append(line)
        if upper.startswith("END:") and stack and upper[4:].strip() == stack[-1]:
            alarms -= stack.pop() == "VALARM"
            blocks[-1].complete = not stack
    return blocks, header


def _salvage(data: bytes, why: str) -> Parsed:
    from icalendar import Calendar

    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    blocks, header = _blocks(text)
    if not any(block.complete for block in blocks) and not any(b.name in KINDS for b in blocks):
        raise Unreadable(f"cannot be read as a calendar: {why}")
    calendar = Calendar()
    # The calendar's own properties (its name, its zone) are a nicety: junk there is ignored.
    with contextlib.suppress(Exception):
        calendar = Calendar.from_ical("\r\n".join(["BEGIN:VCALENDAR", *header, "END:VCALENDAR"]))
    parsed = Parsed(calendar, None, 0)
    # Time zones first: icalendar resolves a TZID through the zones it has parsed so far.
    blocks.sort(key=lambda block: block.name != "VTIMEZONE")
    for block in blocks:
        counts = block.name in KINDS
        if not block.complete:
            if counts:
                parsed.total += 1
                parsed.broken.add(f"{block.name} cut off before its END line", block.line)
            continue
        wrapped = "\r\n".join(["BEGIN:VCALENDAR", *block.lines, "END:VCALENDAR", ""])
        try:
            subs = Calendar.from_ical(wrapped).subcomponents
        except Exception as exc:  # as in parse(): a bad component, skipped on its own
            if counts:
                parsed.total += 1
                parsed.broken.add(_clip(str(exc)), block.line)
            continue
        for sub in subs:
            calendar.add_component(sub)
    # Nothing else could count: a file of time zones only (libical's and tzurl.org's, with
    # properties such as TZID-ALIAS-OF that icalendar refuses) is not worth a problem.
    return parsed
