"""The journal detector: each line of a plain text journal is a win.

The cursor maps each line's key (its id) to a fingerprint of its text: a key not seen before is
a new win, a changed fingerprint revises the win, a key gone takes the win back. The file is
read whole each scan (a journal is small; past ``MAX_FILE`` it is refused with one problem),
so an editor's atomic save or a sync that replaces the file is read as any change is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from smallwins import Detector, DetectorOptions, Field, ScanContext, Win, data_folder

from .lines import (
    FUTURE_SLACK,
    MAX_LINE,
    BadLine,
    Entry,
    check_tag,
    check_title,
    line_for,
    new_id,
    parse,
)
from .writing import append

MAX_FILE = 16 * 1024 * 1024
DEFAULT_NAME = "journal.md"
PRIVATE_TAG = "private"  # a line with #private is a private win


class JournalOptions(DetectorOptions):
    path: str = Field(
        default="",
        description="The journal file (`~` allowed); default: journal.md in the data folder.",
    )


class JournalDetector(Detector):
    """Wins written by hand: `smallwins done`, an editor, a file synced from elsewhere."""

    name = "journal"
    description = "wins you write down: smallwins done, or a line in a plain text journal"
    Options = JournalOptions
    noun = "win of your own"
    # A win written down is one the person just made here: told at once, even at night.
    interactive = True
    plural = "wins of your own"
    writable = True

    @property
    def path(self) -> Path:
        assert isinstance(self.options, JournalOptions)
        given = self.options.path
        return Path(given).expanduser() if given else data_folder() / DEFAULT_NAME

    def watch_paths(self) -> list[Path]:
        # The folder, not the file: an editor's save replaces the file, and a journal not
        # yet written has no file to watch.
        return [self.path.parent]

    def is_relevant(self, path: Path) -> bool:
        return path.name == self.path.name

    def describe(self) -> str:
        return str(self.path)

    def scan(self, context: ScanContext) -> Iterator[Win]:
        path = self.path
        known: dict[str, str] = dict((context.cursor or {}).get("lines", {}))
        try:
            size = path.stat().st_size
            if size > MAX_FILE:
                context.report_problem(
                    f"the journal is {size // 1024 // 1024} MB, over the {MAX_FILE // 1024 // 1024}"
                    " MB a journal may have: move old lines to another file",
                    path=path,
                )
                return
            data = path.read_bytes()
        except FileNotFoundError:
            data = b""
        seen: dict[str, str] = {}
        now = context.now()
        for number, raw in enumerate(data.splitlines(), start=1):
            entry = self._entry(context, path, number, raw)
            if entry is None:
                continue
            if isinstance(entry, str):  # a broken line of a known win: it keeps its win
                if entry in known:
                    seen[entry] = known[entry]
                continue
            key = entry.key
            if key in seen:
                if key.startswith("text-"):  # the same words twice: two wins
                    key = f"{key}-{number}"
                else:
                    context.report_problem(
                        f"id ^{key} is used by an earlier line too: give this line a new id"
                        " (or delete the id and smallwins knows the line by its text)",
                        path=path,
                        line=number,
                    )
                    continue
            at = entry.at
            if at is not None and at > now + FUTURE_SLACK:
                context.report_problem(
                    f"{at.isoformat(timespec='minutes')} is in the future: it counts from then",
                    path=path,
                    line=number,
                )
                if key in known:
                    seen[key] = known[key]
                continue
            win = self._win(key, entry, at or now)
            seen[key] = entry.fingerprint
            if key not in known:
                yield win
            elif known[key] != entry.fingerprint:
                context.revise(win)
        for key in known:
            if key not in seen:
                context.withdraw(key)
        context.save_cursor({"lines": seen})

    def write(self, win: Win) -> None:
        """Append ``win`` as a line; its key is the line's id (a new one unless it is one)."""
        title = check_title(win.title)
        tags = tuple(check_tag(tag) for tag in win.tags)
        if win.details.get("private") is True and PRIVATE_TAG not in tags:
            tags += (PRIVATE_TAG,)
        value = win.value if win.unit or win.value != 1 else None
        key = win.key if _NEW_ID.fullmatch(win.key) else new_id()
        append(
            self.path,
            line_for(title, win.occurred_at, tags=tags, value=value, unit=win.unit, key=key),
        )

    def _entry(
        self, context: ScanContext, path: Path, number: int, raw: bytes
    ) -> Entry | str | None:
        """The line's entry; its id alone when the line is broken (problem reported)."""
        if len(raw) > MAX_LINE:
            context.report_problem(
                f"the line is {len(raw)} bytes, over the {MAX_LINE} a line may have: shorten it",
                path=path,
                line=number,
            )
            return _id_of(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            context.report_problem(
                "the line is not UTF-8 text: save the journal as UTF-8", path=path, line=number
            )
            return _id_of(raw)
        try:
            return parse(text, context.timezone)
        except BadLine as exc:
            context.report_problem(str(exc), path=path, line=number)
            return _id_of(raw)

    @staticmethod
    def _win(key: str, entry: Entry, at: datetime) -> Win:
        return Win(
            key=key,
            title=entry.title,
            occurred_at=at,
            value=entry.value,
            unit=entry.unit,
            tags=entry.tags,
            # Its title stays on this machine: counted and celebrated, never named.
            details={"private": True} if PRIVATE_TAG in entry.tags else {},
        )


def _id_of(raw: bytes) -> str:
    """The id at the end of a line that cannot be read otherwise ("" when it has none)."""
    found = _TAIL_ID.search(raw.rstrip()[-18:])
    return found.group(1).decode("ascii") if found else ""


_TAIL_ID = re.compile(rb"\s\^([a-z0-9]{4,16})$")
_NEW_ID = re.compile(r"[a-z0-9]{4,16}")
