"""Apple Health's ``export.xml``, or the ``export.zip`` that holds it, streamed.

Real exports pass 1 GB, almost all of it heart rate and steps. expat is fed 1 MiB at a time
and only mindful-session records are looked at, so memory stays flat whatever the size; no
element tree is built, so there is nothing to clear. The long DTD at the top is read by expat
itself; entity declarations are refused (a billion-laughs file cannot expand) and external
entities are never fetched.

expat keeps a tag it has not seen the end of, however long: one attribute of a gigabyte would
be held whole. Every element opens or closes within a few hundred bytes of the last one in a
real export, so input that goes on for MAX_TOKEN bytes with no element starting or ending is
refused, and so is nesting past MAX_DEPTH: memory stays flat whatever the file holds.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO
from xml.parsers import expat

from .session import (
    MAX_NAME,
    Broken,
    Item,
    Reading,
    Session,
    Unreadable,
    checked_seconds,
    duration_between,
    parse_time,
)

MINDFUL = "HKCategoryTypeIdentifierMindfulSession"
CHUNK = 1 << 20
MAX_TOKEN = 4 << 20
# <HealthData><Record><MetadataEntry> is as deep as an export goes.
MAX_DEPTH = 32
ZIP_MEMBER = "export.xml"
# What a damaged zip raises, besides its own BadZipFile: a bad offset, a bad deflate stream, a
# name that is not UTF-8, a cut-off member.
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error)
_DATE = "%Y-%m-%d %H:%M:%S %z"
_SHAPE = "YYYY-MM-DD HH:MM:SS +HHMM"


class _EntityRefused(Exception):
    pass


class _TooDeep(Exception):
    pass


def export_member(archive: zipfile.ZipFile) -> str:
    """The name of ``apple_health_export/export.xml`` (the folder's name varies by locale)."""
    names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == ZIP_MEMBER]
    if not names:
        raise Unreadable("a zip file without apple_health_export/export.xml")
    return min(names, key=lambda n: (n.count("/"), n))


def read_apple_health(stream: IO[bytes], reading: Reading) -> Iterator[Item]:
    """Mindful sessions of ``export.xml`` or of ``export.zip``, whichever ``stream`` holds."""
    head = stream.read(4)
    stream.seek(0)
    if head != b"PK\x03\x04":
        yield from _read_xml(stream)
        return
    try:
        archive = zipfile.ZipFile(stream)
        member = archive.open(export_member(archive))
    except (*DAMAGED, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise Unreadable(f"a damaged or unsupported zip file ({exc})") from None
    with archive, member:
        yield from _read_xml(member)


class _Handler:
    """expat callbacks; finished sessions wait in ``found`` until the chunk is parsed."""

    def __init__(self, parser: expat.XMLParserType) -> None:
        self.parser = parser
        self.found: list[Item] = []
        self.record: dict[str, str] | None = None
        self.line = 0
        self.user_entered = False
        self.depth = 0
        # Where the last element started or ended: what expat holds past it is one token.
        self.seen = 0

    def root(self, name: str, attrs: dict[str, str]) -> None:
        if name != "HealthData":
            raise Unreadable(f"an XML file whose root is <{name}>, not <HealthData>")
        self.parser.StartElementHandler = self.start
        self.depth, self.seen = 1, self.parser.CurrentByteIndex

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.seen = self.parser.CurrentByteIndex
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep
        if name == "Record":
            if attrs.get("type") == MINDFUL:
                self.record = attrs
                self.line = self.parser.CurrentLineNumber
                self.user_entered = False
        elif (
            name == "MetadataEntry"
            and self.record is not None
            and attrs.get("key") == "HKWasUserEntered"
        ):
            self.user_entered = attrs.get("value", "").strip().lower() in ("1", "true", "yes")

    def end(self, name: str) -> None:
        self.seen = self.parser.CurrentByteIndex
        self.depth -= 1
        if name == "Record" and self.record is not None:
            self.found.append(self._session(self.record))
            self.record = None

    def _session(self, attrs: dict[str, str]) -> Item:
        try:
            start = parse_time(attrs.get("startDate", ""), "startDate", _SHAPE, _DATE)
            end = parse_time(attrs.get("endDate", ""), "endDate", _SHAPE, _DATE)
            seconds = checked_seconds(duration_between(start, end))
        except ValueError as exc:
            return Broken(self.line, f"mindful session: {exc}")
        app = attrs.get("sourceName", "").strip()[:MAX_NAME] or "Apple Health"
        extra = {"user_entered": True} if self.user_entered else {}
        return Session(start, seconds, "meditation", app, self.line, extra=extra)


def _refuse_entities(*_: object) -> None:
    raise _EntityRefused


def _read_xml(stream: IO[bytes]) -> Iterator[Item]:
    # Apple writes UTF-8; a declared encoding is ignored, so a damaged declaration cannot
    # send expat looking for a codec.
    parser = expat.ParserCreate(encoding="UTF-8")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    handler = _Handler(parser)
    parser.StartElementHandler = handler.root
    parser.EndElementHandler = handler.end
    parser.EntityDeclHandler = _refuse_entities
    fed = 0
    while True:
        try:
            chunk = stream.read(CHUNK)
        except DAMAGED as exc:
            yield Broken(parser.CurrentLineNumber, f"the file cannot be read from here on ({exc})")
            return
        try:
            parser.Parse(chunk, not chunk)
        except expat.ExpatError as exc:
            yield from handler.found
            yield Broken(
                exc.lineno, f"not well-formed XML from here on ({expat.ErrorString(exc.code)})"
            )
            return
        except _EntityRefused:
            yield Broken(parser.CurrentLineNumber, "the XML declares entities, which are refused")
            return
        except _TooDeep:
            yield from handler.found
            yield Broken(
                parser.CurrentLineNumber,
                f"elements nested more than {MAX_DEPTH} deep; not an export smallwins can "
                "read from here on",
            )
            return
        yield from handler.found
        handler.found.clear()
        fed += len(chunk)
        if fed - handler.seen > MAX_TOKEN:
            yield Broken(
                parser.CurrentLineNumber,
                f"one element or attribute runs past {MAX_TOKEN >> 20} MiB; not an export "
                "smallwins can read from here on",
            )
            return
        if not chunk:
            return
