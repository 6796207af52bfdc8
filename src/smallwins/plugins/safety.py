"""Which plugin files may run: as ssh's StrictModes, the file (symlinks resolved) and every
folder above it must be owned by the user or root and writable by no one else, or anyone who
can change one of them can run code as the user. A root-owned folder with the sticky bit (like
/tmp) is the exception: others may write in it, but cannot replace what is yours.

Plugin files are read and compiled from their source each time; cached bytecode is never read
or written for them, since a ``__pycache__`` is another place someone could leave code."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path


class UnsafePath(Exception):
    """A path others could change, with what makes it unsafe and the fix."""


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _check_one(path: Path, info: os.stat_result, uid: int) -> None:
    if info.st_uid not in (uid, 0):
        raise UnsafePath(
            f"{path} is owned by {_user(info.st_uid)}, not by you or root, so they could run "
            f"code as you through it; fix with: chown {_user(uid)} {path}, or move the plugin "
            "to a folder of yours"
        )
    if not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return
    if stat.S_ISDIR(info.st_mode) and info.st_uid == 0 and info.st_mode & stat.S_ISVTX:
        return  # like /tmp: others may add files, but cannot replace or remove yours
    mode = stat.S_IMODE(info.st_mode)
    raise UnsafePath(
        f"{path} is writable by group or others (mode {mode:o}), so anyone could run code as "
        f"you through it; fix with: chmod go-w {path}"
    )


def check_path(path: Path, uid: int) -> tuple[Path, os.stat_result]:
    """The resolved ``path`` and its stat, when it and every folder above it are safe for the
    user ``uid`` to run code from; else UnsafePath naming the first that is not."""
    resolved = path.resolve(strict=True)
    info = os.stat(resolved)
    _check_one(resolved, info, uid)
    for folder in resolved.parents:
        _check_one(folder, os.stat(folder), uid)
    return resolved, info


def read_trusted(path: Path, uid: int) -> tuple[Path, bytes]:
    """The resolved path and source of a plugin file, read from the very file that was checked
    (a file swapped in after the check is refused)."""
    resolved, checked = check_path(path, uid)
    fd = os.open(resolved, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(handle.fileno())
        if (opened.st_dev, opened.st_ino) != (checked.st_dev, checked.st_ino):
            raise UnsafePath(f"{resolved} changed while it was being checked; try again")
        _check_one(resolved, opened, uid)
        return resolved, handle.read()
