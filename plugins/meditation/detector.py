"""The meditation detector: every session in the exports at a path is a win, once.

A session's key is its own data (start instant and activity: nobody starts two sits in one
second), so a re-export, a moved file, an edited session or two overlapping exports never count
a session twice: the ledger ignores keys it has.
The cursor keeps, per file, its size, mtime and a fingerprint of its first 64 KiB (an unchanged
file is not read again), and per app the newest session seen, which tells a new session (news,
celebrated) from an old one found late (history, summed up).
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from smallwins import Detector, DetectorError, DetectorOptions, ScanContext, Win

from .options import MeditationOptions

if TYPE_CHECKING:
    from .detect import Format
    from .session import Item
    from .wins import Scan

CURSOR_VERSION = 1
# A file changed this recently may still be being written. If no line end follows its last
# record, that record is held back (or, for a file never read before, the whole file) and the
# file read again once it has been still this long.
SETTLE_SECONDS = 2.0
MAX_PROBLEMS_PER_FILE = 20
# Reads of a file are buffered in pieces this large; each piece reports the scan's progress.
READ_BUFFER = 1 << 16
# In a folder: the names an export can have. Others (photos, .DS_Store, a download still
# in progress, an editor's swap file) are never opened.
EXPORT_SUFFIXES = frozenset(
    {"", ".csv", ".tsv", ".txt", ".xml", ".zip", ".json", ".jsonl", ".ndjson"}
)
TEMPORARY_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", "~")


def _tilde(path: Path | str) -> str:
    text, home = str(path), os.path.expanduser("~")
    if home != os.sep and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home) :]
    return text


@functools.lru_cache(maxsize=256)
def _export_name(name: str) -> bool:
    lower = name.lower()
    return (
        not lower.startswith(".")
        and not lower.endswith(TEMPORARY_SUFFIXES)
        and os.path.splitext(lower)[1] in EXPORT_SUFFIXES
    )


def _real(path: Path) -> Path:
    """``path`` with its folder's symlinks resolved but not the file's own name: the watcher
    reports files under the resolved folder it watches."""
    return Path(os.path.realpath(path.parent)) / path.name


class MeditationDetector(Detector):
    """Each session in the meditation-app exports at a path, once per session."""

    name = "meditation"
    noun = "session"
    description = (
        "Sessions from meditation-app exports: Insight Timer, Apple Health, Meditation Helper "
        "Plus, Meditation Assistant, Samsung Health, or a plain CSV/JSON log."
    )
    Options = MeditationOptions

    options: MeditationOptions

    def __init__(self, source: str, options: DetectorOptions) -> None:
        if not isinstance(options, MeditationOptions):
            raise TypeError(
                f"MeditationDetector needs MeditationOptions, got {type(options).__name__}"
            )
        super().__init__(source, options)
        self.target = Path(os.path.abspath(os.path.expanduser(options.path)))

    # -- what to watch -------------------------------------------------------------------

    def watch_paths(self) -> list[Path]:
        # A file's folder, not the file: an export swapped in by rename replaces the file.
        return [self.target if self.target.is_dir() else self.target.parent]

    def is_relevant(self, path: Path) -> bool:
        if not self.target.is_dir():
            return _real(path) == _real(self.target)
        try:
            parts = _real(path).relative_to(os.path.realpath(self.target)).parts
        except ValueError:
            return False
        if not parts:
            return True
        if parts[0].startswith("."):
            return False
        # Also asked of folders, to decide which to watch: only those one level down.
        if path.is_dir():
            return len(parts) == 1
        return len(parts) <= 2 and _export_name(parts[-1])

    def describe(self) -> str:
        return _tilde(self.target)

    # -- scanning ------------------------------------------------------------------------

    # The readers of each format are imported by a scan: every command builds every
    # configured source, and a short one (``smallwins done``) must stay quick.
    def scan(self, context: ScanContext) -> Generator[Win, None, None]:
        from .session import Reading
        from .wins import Scan

        files, latest = _load_cursor(context.cursor, self._fingerprint())
        zone = ZoneInfo(self.options.timezone) if self.options.timezone else context.timezone
        reading = Reading(zone, self.options.columns)
        scan = Scan(context, context.now(), reading, files, latest, latest_after=dict(latest))
        if self.target.is_dir():
            paths = self._folder_files(context)
        elif self.target.exists():
            scan.single, paths = True, [self.target]
        elif self.target.parent.is_dir():
            context.report_problem("no export here yet", path=_tilde(self.target))
            paths = []
        else:
            raise DetectorError(f"{_tilde(self.target.parent)}: no such folder")
        sizes = [_size(path) for path in paths]
        scan.bytes_total = sum(sizes)
        for path, size in zip(paths, sizes, strict=True):
            yield from self._scan_file(scan, path)
            scan.bytes_done += size
        if context.first_scan and (scan.deferred or not scan.latest_after):
            # Nothing whole read yet: the next scan is a first scan too, and what it finds
            # is told as the source's history ("Found 1,240 past sessions").
            return
        context.save_cursor(
            {
                "version": CURSOR_VERSION,
                "filter": self._fingerprint(),
                "files": scan.files_after,
                "latest": {app: moment.isoformat() for app, moment in scan.latest_after.items()},
            }
        )

    def _fingerprint(self) -> dict[str, Any]:
        # Changing what counts reads every file again; what it adds is history.
        return {
            "format": self.options.format,
            "activities": self.options.activities,
            "min_minutes": self.options.min_minutes,
            "columns": self.options.columns,
        }

    def _folder_files(self, context: ScanContext) -> list[Path]:
        """Export files in the folder and one level down (where an unzipped export lands)."""
        try:
            entries = sorted(os.scandir(self.target), key=lambda e: e.name)
        except OSError as exc:
            raise DetectorError(f"{_tilde(self.target)}: cannot be read ({exc.strerror})") from None
        found = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                try:
                    inner = sorted(os.scandir(entry.path), key=lambda e: e.name)
                except OSError as exc:
                    context.report_problem(
                        f"cannot be read ({exc.strerror})", path=_tilde(entry.path)
                    )
                    continue
                found += [Path(e.path) for e in inner if e.is_file() and _export_name(e.name)]
            elif entry.is_file() and _export_name(entry.name):
                found.append(Path(entry.path))
        return found

    def _scan_file(self, scan: Scan, path: Path) -> Iterator[Win]:
        from .detect import FORMATS, HEAD, TAIL, Detected, detect, ends_whole, known_formats
        from .session import Counted

        key = str(path)
        try:
            with (
                open(path, "rb", buffering=0) as raw,
                io.BufferedReader(Counted(raw, scan.read_to), READ_BUFFER) as stream,
            ):
                stat = os.fstat(stream.fileno())
                head = stream.read(HEAD)
                entry = {
                    "size": stat.st_size,
                    "mtime_ns": stat.st_mtime_ns,
                    "head": hashlib.blake2b(head, digest_size=16).hexdigest(),
                }
                if scan.files.get(key) == entry:
                    scan.files_after[key] = entry
                    return
                age = scan.now.timestamp() - stat.st_mtime
                recent = -SETTLE_SECONDS < age < SETTLE_SECONDS
                stream.seek(max(0, stat.st_size - TAIL))
                tail = stream.read(TAIL)
                detected = detect(head, scan.reading)
                if not detected.empty and self.options.format != "auto":
                    detected = Detected(FORMATS[self.options.format])
                unsettled = recent and not ends_whole(detected.format, head, tail)
                # Half an export may not show its format yet; and one never read before is
                # read whole once still, so its history is summed up in one message.
                if (recent and detected.format is None and not detected.empty) or (
                    unsettled and (scan.context.first_scan or key not in scan.files)
                ):
                    self._settle_later(scan, path, stat.st_mtime)
                    return
                settled = True
                if detected.format is not None:
                    stream.seek(0)
                    settled = yield from self._read(scan, path, detected.format, stream, unsettled)
                elif detected.skip:
                    # Beside the sessions in an export's folder: passed over, unless named.
                    if scan.single:
                        self._unusable(scan, path, f"this is {detected.skip}")
                elif not detected.empty:
                    self._unusable(
                        scan,
                        path,
                        "not an export in a format I know; known formats: " + known_formats(),
                    )
        except FileNotFoundError:
            # Gone between listing and opening (a rename-swap under way): its event follows.
            return
        except OSError as exc:
            self._unusable(scan, path, f"cannot be read ({exc.strerror or exc})")
            return
        if settled:
            scan.files_after[key] = entry
        else:
            self._settle_later(scan, path, stat.st_mtime)

    def _settle_later(self, scan: Scan, path: Path, mtime: float) -> None:
        scan.deferred = True
        key = str(path)
        if key in scan.files:
            scan.files_after[key] = scan.files[key]
        scan.context.scan_again_at(
            datetime.fromtimestamp(mtime + SETTLE_SECONDS + 0.1, UTC),
            f"{_tilde(path)} is still being written (it changed less than "
            f"{SETTLE_SECONDS:g} s ago)",
        )

    def _unusable(self, scan: Scan, path: Path, why: str) -> None:
        """A whole file that cannot be read: the source's error when it is the only file, a
        problem beside the other files' sessions in a folder."""
        if scan.single:
            raise DetectorError(f"{_tilde(path)}: {why}")
        scan.context.report_problem(why, path=_tilde(path))

    def _read(
        self, scan: Scan, path: Path, fmt: Format, stream: IO[bytes], hold_tail: bool
    ) -> Generator[Win, None, bool]:
        """Yield the file's wins; return False when its last record was held back."""
        from .session import Unreadable
        from .wins import outcome_of

        shown = _tilde(path)
        problems = 0

        def take(item: Item) -> Win | None:
            nonlocal problems
            outcome = outcome_of(self.options, scan, shown, fmt, item)
            if not isinstance(outcome, str):
                return outcome
            if problems < MAX_PROBLEMS_PER_FILE:
                scan.context.report_problem(f"{outcome}; skipped", path=shown, line=item.line)
            problems += 1
            return None

        pending: Item | None = None
        try:
            for item in fmt.read(stream, scan.reading):
                if pending is not None and (win := take(pending)) is not None:
                    yield win
                pending = item
        except Unreadable as exc:
            self._unusable(scan, path, f"not a {fmt.label} file: {exc}")
            return True
        if pending is not None:
            if hold_tail:
                return False
            if (win := take(pending)) is not None:
                yield win
        if problems > MAX_PROBLEMS_PER_FILE:
            scan.context.report_problem(
                f"{problems - MAX_PROBLEMS_PER_FILE} more broken records skipped", path=shown
            )
        return True


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _load_cursor(
    cursor: Any, fingerprint: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, datetime]]:
    """The files read last time (if they were read the same way) and the newest session of
    each app; what cannot be read as such is treated as never seen."""
    if not isinstance(cursor, dict) or cursor.get("version") != CURSOR_VERSION:
        return {}, {}
    latest: dict[str, datetime] = {}
    stored = cursor.get("latest")
    for app, text in stored.items() if isinstance(stored, dict) else []:
        try:
            moment = datetime.fromisoformat(text)
        except (TypeError, ValueError):
            continue
        if moment.utcoffset() is not None:
            latest[str(app)] = moment
    files = cursor.get("files")
    if cursor.get("filter") != fingerprint or not isinstance(files, dict):
        return {}, latest
    return files, latest
