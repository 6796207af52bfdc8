"""Where the repositories are, which files in their git folders matter, and their branch tips."""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass

from .commands import GitFailed, git

__all__ = [
    "Repo",
    "branch_tips",
    "candidates",
    "existing_commits",
    "is_glob",
    "relevant_inside_git_dir",
    "resolve",
    "tilde",
]

_ROOT_FILES = frozenset({"HEAD", "ORIG_HEAD", "packed-refs"})
_WATCHED_FOLDERS = frozenset({"refs", "logs", "worktrees"})


@dataclass(frozen=True, slots=True)
class Repo:
    path: str
    git_dir: str
    common_dir: str

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def tilde(path: str) -> str:
    home = os.path.expanduser("~")
    if path == home:
        return "~"
    if home != os.sep and path.startswith(home + os.sep):
        return "~" + path[len(home) :]
    return path


def is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def relevant_inside_git_dir(parts: tuple[str, ...]) -> bool:
    # Also asked of folders, to decide which to watch below: refs/, logs/, worktrees/NAME/.
    if not parts or parts[-1].endswith(".lock"):
        return False
    if len(parts) == 1:
        return parts[0] in _ROOT_FILES or parts[0] in _WATCHED_FOLDERS
    if parts[0] in ("refs", "logs"):
        return True
    if parts[0] != "worktrees":
        return False
    return len(parts) == 2 or (len(parts) == 3 and parts[2] == "HEAD")


def candidates(patterns: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Each configured pattern with the absolute paths it stands for."""
    found = []
    for pattern in patterns:
        expanded = os.path.expanduser(pattern)
        if is_glob(expanded):
            # A glob over ~/src also meets files (a README); only folders can be repositories.
            paths = [os.path.abspath(p) for p in sorted(glob.glob(expanded)) if os.path.isdir(p)]
        else:
            paths = [os.path.abspath(expanded)]
        found.append((pattern, paths))
    return found


def resolve(path: str) -> Repo:
    """Where the work tree at ``path`` keeps its git folders; GitFailed if it is not one."""
    if not os.path.exists(path):
        raise GitFailed("does not exist")
    if not os.path.isdir(path):
        raise GitFailed("is a file, not a git work tree")
    try:
        out = git(path, "rev-parse", "--absolute-git-dir", "--git-common-dir", "--show-toplevel")
    except GitFailed as exc:
        if "not a git repository" in str(exc):
            raise GitFailed("is not a git repository (git init or git clone makes one)") from exc
        if "must be run in a work tree" in str(exc):
            raise GitFailed(
                "is a git folder without a work tree (a bare repository or a .git folder); "
                "use the folder of a clone instead"
            ) from exc
        raise
    git_dir, common_dir, top = out.splitlines()[:3]
    here = os.path.realpath(path)
    if top != here:
        raise GitFailed(f"is a folder inside the repository at {tilde(top)}; use that path instead")
    return Repo(path, git_dir, os.path.normpath(os.path.join(here, common_dir)))


def branch_tips(repo: Repo, branches: list[str]) -> dict[str, str]:
    """Commit id -> the branch it is the tip of ("HEAD" for a detached worktree).

    ``branches`` are globs on the branch names; none means every branch.
    """
    tips: dict[str, str] = {}
    heads: list[str] = []
    for line in git(repo.path, "show-ref", "--head", "--heads", ok=(0, 1)).splitlines():
        sha, _, ref = line.partition(" ")
        if ref == "HEAD":
            heads.append(sha)
        elif ref.startswith("refs/heads/"):
            branch = ref.removeprefix("refs/heads/")
            if not branches or any(fnmatch.fnmatchcase(branch, p) for p in branches):
                tips.setdefault(sha, branch)
    if os.path.isdir(os.path.join(repo.common_dir, "worktrees")):
        heads.extend(_detached_worktree_heads(repo))
    # A detached HEAD is on no branch, so only "every branch" takes it in.
    if not branches:
        for sha in heads:
            tips.setdefault(sha, "HEAD")
    return tips


def _detached_worktree_heads(repo: Repo) -> list[str]:
    heads: list[str] = []
    for record in git(repo.path, "worktree", "list", "--porcelain").split("\n\n"):
        lines = record.splitlines()
        if "detached" in lines:
            heads.extend(line[5:] for line in lines if line.startswith("HEAD "))
    return heads


def existing_commits(repo: Repo, shas: Iterable[str]) -> list[str]:
    # A rebase, an amend or a deleted branch leaves old tips that gc later removes; git log
    # refuses a missing commit even after --not, so those are dropped here.
    out = git(
        repo.path,
        "cat-file",
        "--batch-check=%(objectname) %(objecttype)",
        stdin="".join(f"{sha}\n" for sha in shas),
    )
    return [line.split()[0] for line in out.splitlines() if line.endswith(" commit")]
