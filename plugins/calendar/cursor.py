"""What a scan remembers, per file, so that the next one need not read unchanged files.

A file is unchanged when its size and modification time are (or, when those moved, its
hash is). For an unchanged file the cursor still knows what matters between scans: the
matching occurrences that had not ended yet (told when they end, without reading the file),
the rest days it marks, when undated completed to-dos were first seen, and its last problem
(reported on every scan until the file is fixed). A file whose series run past the planned
window is read again when the window ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = ["VERSION", "FileState", "Planned", "dump", "load"]

VERSION = 1


@dataclass(frozen=True, slots=True)
class Planned:
    """A matching event occurrence, as needed to make its win: planned, or just ended."""

    key: str
    title: str
    start: datetime
    end: datetime
    all_day: bool
    uid: str
    recurrence_id: str | None
    categories: tuple[str, ...]

    def to_json(self) -> list[Any]:
        return [
            self.key,
            self.title,
            self.start.isoformat(),
            self.end.isoformat(),
            self.all_day,
            self.uid,
            self.recurrence_id,
            list(self.categories),
        ]

    @classmethod
    def from_json(cls, raw: Any) -> Planned:
        key, title, start, end, all_day, uid, rid, categories = raw
        return cls(
            str(key),
            str(title),
            _aware(start),
            _aware(end),
            bool(all_day),
            str(uid),
            None if rid is None else str(rid),
            tuple(str(c) for c in categories),
        )


def _aware(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text))
    if moment.utcoffset() is None:
        raise ValueError(f"not an aware time: {text!r}")
    return moment


@dataclass(slots=True)
class FileState:
    size: int
    mtime: int
    hash: str
    name: str | None = None
    # The planned occurrences and rest days are complete up to here; None: for good.
    until: datetime | None = None
    planned: list[Planned] = field(default_factory=list)
    rest: list[tuple[date, str]] = field(default_factory=list)
    undated: dict[str, datetime] = field(default_factory=dict)
    problem: tuple[str, int | None] | None = None

    def to_json(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"size": self.size, "mtime": self.mtime, "hash": self.hash}
        if self.name:
            raw["name"] = self.name
        if self.until is not None:
            raw["until"] = self.until.isoformat()
        if self.planned:
            raw["planned"] = [p.to_json() for p in self.planned]
        if self.rest:
            raw["rest"] = [[day.isoformat(), reason] for day, reason in self.rest]
        if self.undated:
            raw["undated"] = {key: when.isoformat() for key, when in self.undated.items()}
        if self.problem is not None:
            raw["problem"] = list(self.problem)
        return raw

    @classmethod
    def from_json(cls, raw: Any) -> FileState:
        problem = raw.get("problem")
        until = raw.get("until")
        return cls(
            size=int(raw["size"]),
            mtime=int(raw["mtime"]),
            hash=str(raw["hash"]),
            name=None if raw.get("name") is None else str(raw["name"]),
            until=None if until is None else _aware(until),
            planned=[Planned.from_json(p) for p in raw.get("planned", [])],
            rest=[(date.fromisoformat(day), str(reason)) for day, reason in raw.get("rest", [])],
            undated={str(k): _aware(v) for k, v in raw.get("undated", {}).items()},
            problem=None if problem is None else (str(problem[0]), problem[1]),
        )


def load(cursor: Any, rules: Any) -> tuple[dict[str, FileState], datetime | None, bool]:
    """The files the last scan knew, when it ran, and whether it counted by other rules.

    Files are forgotten (and read again) when the cursor is from another version or was
    made with other rules; what that scan finds that has already happened is history,
    as on a first scan.
    """
    if not isinstance(cursor, dict):
        return {}, None, False
    try:
        since: datetime | None = _aware(cursor["scanned_at"])
    except (KeyError, TypeError, ValueError):
        since = None
    if cursor.get("version") != VERSION or cursor.get("rules") != rules:
        return {}, since, True
    files: dict[str, FileState] = {}
    raw_files = cursor.get("files")
    for path, raw in raw_files.items() if isinstance(raw_files, dict) else ():
        try:
            files[str(path)] = FileState.from_json(raw)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # a damaged entry: that file is read again, and nothing is lost
    return files, since, False


def dump(files: dict[str, FileState], rules: Any, scanned_at: datetime) -> dict[str, Any]:
    return {
        "version": VERSION,
        "rules": rules,
        "scanned_at": scanned_at.isoformat(),
        "files": {path: state.to_json() for path, state in sorted(files.items())},
    }
