"""The git detector: every commit you make in your repositories is a win.

Commits are read with the ``git`` command (no compiled dependency, nothing to import, and it
honours the user's own git setup). The cursor holds, per repository, the commit ids that the
branch tips and detached worktree HEADs pointed at last time; a scan reads only the commits
reachable from new tips and not from old ones, so an unchanged repository costs one
``git show-ref``.

The parts: options.py (a source's keys), commands.py (running git), repos.py (finding the
repositories and their tips), log.py (reading git log) and detector.py (the detector).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from smallwins import Detector, SourceOffer, hookimpl

from .commands import default_email, find_repository, git_command, git_env, global_email
from .detector import GitDetector
from .log import LOG_FORMAT, log_args
from .options import GitOptions
from .repos import tilde

__all__ = ["GitDetector", "GitOptions", "default_email", "find_repository"]

# The names these had when the plugin was one module; the benchmarks run git log exactly as a
# scan does through them.
_LOG_FORMAT = LOG_FORMAT
_git_command = git_command
_git_env = git_env
_log_args = log_args


@hookimpl
def register_detectors(register: Callable[[type[Detector]], None]) -> None:
    register(GitDetector)


def _authors(folder: Path, repos: list[Path]) -> list[str]:
    """Each repository's own ``user.email`` (set in it, or by an ``includeIf``) and the
    global one, once each: a folder of repositories often has one address per repository."""
    found = {default_email(repo) for repo in repos} | {global_email(folder)}
    return sorted({email.lower() for email in found if email})


@hookimpl
def offer_sources(folder: Path, register: Callable[[SourceOffer], None], always_only: bool) -> None:
    """Your commits in the repository ``folder`` is in, or in the repositories inside it."""
    if always_only:
        return  # a config names its repositories: no need to ask git about the folder
    root = find_repository(folder)
    children = []
    if root is None and folder.is_dir():
        children = [p for p in sorted(folder.iterdir()) if (p / ".git").exists()]
    if root is not None:
        repos = [tilde(str(root))]
    elif children:
        repos = [tilde(str(folder)) + "/*"]
    else:
        repos = ["~/src/*"]
    options: dict[str, Any] = {"repos": repos}
    comments = {"repos": "Globs of git work trees; every local branch counts."}
    authors = _authors(folder, [root] if root is not None else children)
    if authors:
        options["authors"] = authors
        comments["authors"] = (
            "Whose commits count: the user.email of each repository found and your global one "
            "(without this key: each repository's git config user.email)."
        )
    who = ", ".join(authors) or "nobody yet (git config --global user.email you@example.com)"
    here = root is not None or bool(children)
    says = f"watching {', '.join(repos)} for commits by {who}"
    if not here:
        says = f"{folder} is not inside a git repository and holds none"
    register(SourceOffer("code", "git", options, comments, says=says, here=here))
