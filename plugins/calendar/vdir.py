"""Where the calendar items are: .ics files, folders of them and vdir trees.

A vdir (as vdirsyncer writes it, and khal and todoman read it) is a folder with one subfolder
per collection and one item a file: ``<root>/<collection>/<uid>.ics``. A collection may hold
metadata files without an extension (``displayname``, ``color``); vdirsyncer writes an item
to ``*.tmp`` first and renames it. Dot-folders (``.git``, a sync tool's state) are not read.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Item", "Layout", "tilde"]

# <root>/<collection>/<item> is a vdir; a little deeper allows a folder of vdirs.
MAX_DEPTH = 4
LABEL_MAX = 40


def tilde(path: str | Path) -> str:
    """``path`` with the home folder written as ``~``, as people write it."""
    text, home = str(path), os.path.expanduser("~")
    if text == home:
        return "~"
    if home != os.sep and text.startswith(home + os.sep):
        return "~" + text[len(home) :]
    return text


def _is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def _is_item_name(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(".ics")


def _displayname(folder: str) -> str | None:
    try:
        with open(os.path.join(folder, "displayname"), "rb") as meta:
            raw = meta.read(512)
    except OSError:
        return None
    lines = raw.decode("utf-8", "replace").strip().splitlines()
    if not lines:
        return None
    return lines[0].strip()[:LABEL_MAX] or None


@dataclass(frozen=True, slots=True)
class Item:
    """One calendar file, with its collection's ``displayname`` and folder if it is in one."""

    path: str
    displayname: str | None = None
    folder: str | None = None

    def place(self, calendar_name: str | None) -> str:
        """A short name for where a win happened: the calendar's name, else its folder's."""
        stem = os.path.splitext(os.path.basename(self.path))[0]
        return (self.displayname or calendar_name or self.folder or stem)[:LABEL_MAX]


class Layout:
    """The configured paths, resolved: what to read, what to watch, which changes matter."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = patterns
        self._folders: list[Path] = []
        self._files: list[Path] = []

    def _expand(self) -> list[tuple[str, list[str]]]:
        found = []
        for pattern in self.patterns:
            expanded = os.path.expanduser(pattern)
            if _is_glob(expanded):
                paths = [os.path.abspath(p) for p in sorted(glob.glob(expanded))]
            else:
                paths = [os.path.abspath(expanded)]
            found.append((pattern, paths))
        return found

    def roots(self) -> list[str]:
        """The configured paths, globs expanded, whether they exist or not."""
        return [path for _, paths in self._expand() for path in paths]

    def _remember(self, folders: list[str], files: list[str]) -> None:
        self._folders = [Path(os.path.realpath(p)) for p in folders]
        self._files = [Path(os.path.realpath(p)) for p in files]

    def items(self) -> tuple[list[Item], list[tuple[str, str]]]:
        """Every item under the configured paths, and (path, why) for those that cannot be read."""
        items: dict[str, Item] = {}
        failures: list[tuple[str, str]] = []
        folders: list[str] = []
        files: list[str] = []
        for pattern, paths in self._expand():
            if not paths:
                failures.append((pattern, "matches nothing"))
            for path in paths:
                if os.path.isdir(path):
                    folders.append(path)
                    # Two paths to one folder (a symlink, a glob and a path) read it once.
                    real = os.path.realpath(path)
                    for item in _walk(path):
                        items.setdefault(real + item.path[len(path) :], item)
                elif os.path.isfile(path):
                    files.append(path)
                    items.setdefault(os.path.realpath(path), Item(path))
                elif os.path.lexists(path):
                    failures.append((path, "is neither a file nor a folder"))
                else:
                    failures.append((path, "does not exist"))
        self._remember(folders, files)
        return sorted(items.values(), key=lambda item: item.path), failures

    @property
    def found_any(self) -> bool:
        """Whether the last look found any configured path at all."""
        return bool(self._folders or self._files)

    def watch_paths(self) -> list[Path]:
        folders, files = [], []
        for _, paths in self._expand():
            for path in paths:
                if os.path.isdir(path):
                    folders.append(path)
                elif os.path.isfile(path):
                    files.append(path)
        self._remember(folders, files)
        # A file is watched through its folder: editors and sync tools replace files by
        # renaming a new one over them, which a watch on the file itself would lose.
        return sorted({*self._folders, *(file.parent for file in self._files)})

    def is_relevant(self, path: Path) -> bool:
        if not self._folders and not self._files:
            self.watch_paths()
        if path in self._files:
            return True
        for folder in self._folders:
            if path == folder:
                return True
            if not path.is_relative_to(folder):
                continue
            parts = path.relative_to(folder).parts
            if len(parts) > MAX_DEPTH or any(part.startswith(".") for part in parts):
                return False
            name = parts[-1]
            # Asked of folders too, to decide whether to watch below them.
            return _is_item_name(name) or name == "displayname" or path.is_dir()
        return False


def _walk(root: str) -> list[Item]:
    items: list[Item] = []
    base_depth = root.rstrip(os.sep).count(os.sep)
    for folder, dirs, names in os.walk(root):
        depth = folder.rstrip(os.sep).count(os.sep) - base_depth
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if depth < MAX_DEPTH - 1 else []
        wanted = sorted(name for name in names if _is_item_name(name))
        if not wanted:
            continue
        displayname = _displayname(folder)
        label = os.path.basename(folder.rstrip(os.sep)) or folder
        items.extend(Item(os.path.join(folder, name), displayname, label) for name in wanted)
    return items
