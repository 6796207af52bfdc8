"""Running the ``git`` command: its environment, its errors, and the short questions asked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = [
    "GitFailed",
    "default_email",
    "find_repository",
    "first_line",
    "git",
    "git_command",
    "git_env",
    "global_email",
]

QUICK_TIMEOUT = 60.0

# What `git rev-parse --local-env-vars` lists: set by a git hook or a wrapper, they would point
# every command at that repository instead of ours. git clears the same list for submodules.
_REPOSITORY_ENV = frozenset(
    [
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_CONFIG",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_PARAMETERS",
        "GIT_DIR",
        "GIT_GRAFT_FILE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_INTERNAL_SUPER_PREFIX",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_OBJECT_DIRECTORY",
        "GIT_PREFIX",
        "GIT_REPLACE_REF_BASE",
        "GIT_SHALLOW_FILE",
        "GIT_WORK_TREE",
    ]
)


class GitFailed(Exception):
    """One repository cannot be read; the message says why in words a user can act on."""


def git_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _REPOSITORY_ENV}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    return env


def git_command(repo: str | Path, *args: str) -> list[str]:
    return ["git", "-c", "core.quotepath=off", "-C", str(repo), *args]


def first_line(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        if line.strip():
            return line.strip().removeprefix("fatal: ").removeprefix("error: ")
    return ""


def git(repo: str | Path, *args: str, stdin: str | None = None, ok: tuple[int, ...] = (0,)) -> str:
    try:
        done = subprocess.run(
            git_command(repo, *args),
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            env=git_env(),
            timeout=QUICK_TIMEOUT,
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitFailed("git is not installed (or not on PATH)") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitFailed(f"git {args[0]} did not answer within {QUICK_TIMEOUT:.0f} s") from exc
    if done.returncode not in ok:
        reason = first_line(done.stderr) or f"exit status {done.returncode}"
        raise GitFailed(f"git {args[0]} failed: {reason}")
    return done.stdout.decode("utf-8", "replace")


def find_repository(path: Path) -> Path | None:
    """The root of the git work tree that contains ``path``, or None if there is none."""
    folder = path if path.is_dir() else path.parent
    try:
        top = git(folder, "rev-parse", "--show-toplevel").strip()
    except GitFailed:
        return None
    return Path(top) if top else None


def default_email(repo: Path) -> str | None:
    """``git config user.email`` as seen from ``repo``, or None when it is not set."""
    try:
        email = git(repo, "config", "--get", "user.email", ok=(0, 1)).strip()
    except GitFailed:
        return None
    return email or None


def global_email(folder: Path) -> str | None:
    """``git config --global user.email``, or None when it is not set."""
    try:
        email = git(folder, "config", "--global", "--get", "user.email", ok=(0, 1)).strip()
    except GitFailed:
        return None
    return email or None
