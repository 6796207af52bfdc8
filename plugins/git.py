"""The git detector: every commit you make in your repositories is a win.

Commits are read with the ``git`` command (no compiled dependency, nothing to import, and it
honours the user's own git setup). The cursor holds, per repository, the commit ids that the
branch tips and detached worktree HEADs pointed at last time; a scan reads only the commits
reachable from new tips and not from old ones, so an unchanged repository costs one
``git show-ref``.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import subprocess
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from smallwins import (
    Detector,
    DetectorError,
    DetectorOptions,
    Field,
    ScanContext,
    SourceOffer,
    Win,
    field_validator,
    hookimpl,
)

__all__ = ["GitDetector", "GitOptions", "default_email", "find_repository"]

CURSOR_VERSION = 1
QUICK_TIMEOUT = 60.0
READ_CHUNK = 1 << 16

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
# sha, parents, author email, author date, committer date, source, subject. Records end in NUL
# (-z): unlike a separator byte, NUL cannot occur inside a commit message.
_LOG_FORMAT = "%H%x1f%P%x1f%ae%x1f%aI%x1f%cI%x1f%S%x1f%s"
_LOG_FIELDS = 7
_ROOT_FILES = frozenset({"HEAD", "ORIG_HEAD", "packed-refs"})
_WATCHED_FOLDERS = frozenset({"refs", "logs", "worktrees"})
_MISSING_EMAIL_FIX = (
    "no author email to look for: set authors = [...] for this source, "
    "or run: git config --global user.email you@example.com"
)


def _as_list(value: Any) -> Any:
    # `repos = "~/src/x"` is the natural thing to write for one repository.
    return [value] if isinstance(value, str) else value


class GitOptions(DetectorOptions):
    """Options of a ``detector = "git"`` source."""

    repos: list[str] = Field(
        min_length=1, description="Git work trees, as paths or globs; ~ is your home folder."
    )
    authors: list[str] = Field(
        default_factory=list,
        description="Whose commits count, by email (any case); default: git config user.email.",
    )
    include_merges: bool = Field(default=False, description="Count merge commits too.")
    branches: list[str] = Field(
        default_factory=list,
        description="Globs on local branch names (main, feature/*); default: every branch.",
    )

    @field_validator("repos", "authors", "branches", mode="before")
    @classmethod
    def _one_is_a_list(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("repos", "branches")
    @classmethod
    def _not_blank(cls, values: list[str]) -> list[str]:
        if any(not value.strip() for value in values):
            raise ValueError("an entry is empty")
        return [value.strip() for value in values]

    @field_validator("authors")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        for value in values:
            if "@" not in value:
                raise ValueError(f"{value!r} is not an email address (like you@example.com)")
        return [value.strip().lower() for value in values]


class _GitFailed(Exception):
    """One repository cannot be read; the message says why in words a user can act on."""


@dataclass(frozen=True, slots=True)
class _Repo:
    path: str
    git_dir: str
    common_dir: str

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def _git_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _REPOSITORY_ENV}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    return env


def _git_command(repo: str | Path, *args: str) -> list[str]:
    return ["git", "-c", "core.quotepath=off", "-C", str(repo), *args]


def _first_line(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        if line.strip():
            return line.strip().removeprefix("fatal: ").removeprefix("error: ")
    return ""


def _git(repo: str | Path, *args: str, stdin: str | None = None, ok: tuple[int, ...] = (0,)) -> str:
    try:
        done = subprocess.run(
            _git_command(repo, *args),
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            env=_git_env(),
            timeout=QUICK_TIMEOUT,
            check=False,
        )
    except FileNotFoundError as exc:
        raise _GitFailed("git is not installed (or not on PATH)") from exc
    except subprocess.TimeoutExpired as exc:
        raise _GitFailed(f"git {args[0]} did not answer within {QUICK_TIMEOUT:.0f} s") from exc
    if done.returncode not in ok:
        reason = _first_line(done.stderr) or f"exit status {done.returncode}"
        raise _GitFailed(f"git {args[0]} failed: {reason}")
    return done.stdout.decode("utf-8", "replace")


def find_repository(path: Path) -> Path | None:
    """The root of the git work tree that contains ``path``, or None if there is none."""
    folder = path if path.is_dir() else path.parent
    try:
        top = _git(folder, "rev-parse", "--show-toplevel").strip()
    except _GitFailed:
        return None
    return Path(top) if top else None


def default_email(repo: Path) -> str | None:
    """``git config user.email`` as seen from ``repo``, or None when it is not set."""
    try:
        email = _git(repo, "config", "--get", "user.email", ok=(0, 1)).strip()
    except _GitFailed:
        return None
    return email or None


def _tilde(path: str) -> str:
    home = os.path.expanduser("~")
    if path == home:
        return "~"
    if home != os.sep and path.startswith(home + os.sep):
        return "~" + path[len(home) :]
    return path


def _is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def _relevant_inside_git_dir(parts: tuple[str, ...]) -> bool:
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


def _parse_date(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else None


class GitDetector(Detector):
    """Each commit you author in the watched repositories, once per commit id."""

    name = "git"
    noun = "commit"
    description = "Commits you make in local git repositories (every branch and worktree)."
    Options = GitOptions

    options: GitOptions

    def __init__(self, source: str, options: DetectorOptions) -> None:
        if not isinstance(options, GitOptions):
            raise TypeError(f"GitDetector needs GitOptions, got {type(options).__name__}")
        super().__init__(source, options)
        # Where each configured path keeps its git folders; found once, rechecked cheaply.
        self._layouts: dict[str, _Repo] = {}

    # -- what to watch -------------------------------------------------------------------

    def watch_paths(self) -> list[Path]:
        repos = self._repositories(failures=[])
        return sorted({Path(repo.common_dir) for repo in repos})

    def is_relevant(self, path: Path) -> bool:
        # Longest first: a submodule's git folder lives inside its superproject's.
        roots = sorted(
            {Path(repo.common_dir) for repo in self._layouts.values()},
            key=lambda root: len(root.parts),
            reverse=True,
        )
        for root in roots:
            if path.is_relative_to(root):
                return _relevant_inside_git_dir(path.relative_to(root).parts)
        # Not resolved yet (no watch_paths call in this process): a work tree's .git folder.
        if ".git" in path.parts:
            index = len(path.parts) - 1 - path.parts[::-1].index(".git")
            return _relevant_inside_git_dir(path.parts[index + 1 :])
        return False

    def describe(self) -> str:
        patterns = self.options.repos
        if len(patterns) == 1 and not _is_glob(patterns[0]):
            return _tilde(os.path.abspath(os.path.expanduser(patterns[0])))
        found = [path for _, paths in self._candidates() for path in paths]
        if len(found) == 1:
            return _tilde(found[0])
        if not found:
            return f"no repositories yet in {', '.join(patterns)}"
        return f"{len(found)} repositories in {_tilde(os.path.commonpath(found))}"

    # -- scanning ------------------------------------------------------------------------

    def scan(self, context: ScanContext) -> Generator[Win, None, None]:
        fingerprint = self._fingerprint()
        known = _known_tips(context.cursor, fingerprint)
        failures: list[tuple[str, str]] = []
        repos = self._repositories(failures)
        tips_after: dict[str, list[str]] = {}
        seen: set[str] = set()
        for repo in repos:
            try:
                tips = self._tips(repo)
                old = known.get(repo.path)
                fresh = [sha for sha in tips if old is None or sha not in old]
                if fresh:
                    commits = self._read_new_commits(repo, tips, fresh, old, context)
                    for win in commits:
                        # The same commit in two clones of one project counts once.
                        if win.key not in seen:
                            seen.add(win.key)
                            yield win
                tips_after[repo.path] = sorted(tips)
            except _GitFailed as exc:
                failures.append((repo.path, str(exc)))
        if not tips_after:
            raise DetectorError("; ".join(f"{_tilde(path)}: {why}" for path, why in failures))
        for path, why in failures:
            context.report_problem(why, path=_tilde(path))
            # A repository that fails for a while must not turn its next commits into history.
            if path in known:
                tips_after[path] = sorted(known[path])
        context.save_cursor({"version": CURSOR_VERSION, "filter": fingerprint, "repos": tips_after})

    def _fingerprint(self) -> dict[str, Any]:
        # Changing who or what counts reads every repository again, as history.
        return {
            "authors": sorted(self.options.authors),
            "branches": list(self.options.branches),
            "include_merges": self.options.include_merges,
        }

    def _candidates(self) -> list[tuple[str, list[str]]]:
        found = []
        for pattern in self.options.repos:
            expanded = os.path.expanduser(pattern)
            if _is_glob(expanded):
                # A glob over ~/src also meets files (a README); only folders can be repositories.
                paths = [
                    os.path.abspath(p) for p in sorted(glob.glob(expanded)) if os.path.isdir(p)
                ]
            else:
                paths = [os.path.abspath(expanded)]
            found.append((pattern, paths))
        return found

    def _repositories(self, failures: list[tuple[str, str]]) -> list[_Repo]:
        repos: dict[str, _Repo] = {}
        for pattern, paths in self._candidates():
            if not paths:
                failures.append((pattern, "matches no folder"))
            for path in paths:
                try:
                    repo = self._resolve(path)
                except _GitFailed as exc:
                    failures.append((path, str(exc)))
                    continue
                # A main work tree and its linked worktrees share one history: read it once.
                repos.setdefault(os.path.realpath(repo.common_dir), repo)
        return list(repos.values())

    def _resolve(self, path: str) -> _Repo:
        cached = self._layouts.get(path)
        if cached is not None and os.path.isdir(cached.git_dir):
            return cached
        if not os.path.exists(path):
            raise _GitFailed("does not exist")
        if not os.path.isdir(path):
            raise _GitFailed("is a file, not a git work tree")
        try:
            out = _git(
                path, "rev-parse", "--absolute-git-dir", "--git-common-dir", "--show-toplevel"
            )
        except _GitFailed as exc:
            if "not a git repository" in str(exc):
                raise _GitFailed(
                    "is not a git repository (git init or git clone makes one)"
                ) from exc
            if "must be run in a work tree" in str(exc):
                raise _GitFailed(
                    "is a git folder without a work tree (a bare repository or a .git folder); "
                    "use the folder of a clone instead"
                ) from exc
            raise
        git_dir, common_dir, top = out.splitlines()[:3]
        here = os.path.realpath(path)
        if top != here:
            raise _GitFailed(
                f"is a folder inside the repository at {_tilde(top)}; use that path instead"
            )
        repo = _Repo(path, git_dir, os.path.normpath(os.path.join(here, common_dir)))
        self._layouts[path] = repo
        return repo

    def _branch_wanted(self, branch: str) -> bool:
        patterns = self.options.branches
        return not patterns or any(fnmatch.fnmatchcase(branch, p) for p in patterns)

    def _tips(self, repo: _Repo) -> dict[str, str]:
        """Commit id -> the branch it is the tip of ("HEAD" for a detached worktree)."""
        tips: dict[str, str] = {}
        heads: list[str] = []
        for line in _git(repo.path, "show-ref", "--head", "--heads", ok=(0, 1)).splitlines():
            sha, _, ref = line.partition(" ")
            if ref == "HEAD":
                heads.append(sha)
            elif ref.startswith("refs/heads/"):
                branch = ref.removeprefix("refs/heads/")
                if self._branch_wanted(branch):
                    tips.setdefault(sha, branch)
        if os.path.isdir(os.path.join(repo.common_dir, "worktrees")):
            heads.extend(self._detached_worktree_heads(repo))
        # A detached HEAD is on no branch, so only "every branch" takes it in.
        if not self.options.branches:
            for sha in heads:
                tips.setdefault(sha, "HEAD")
        return tips

    def _detached_worktree_heads(self, repo: _Repo) -> list[str]:
        heads: list[str] = []
        for record in _git(repo.path, "worktree", "list", "--porcelain").split("\n\n"):
            lines = record.splitlines()
            if "detached" in lines:
                heads.extend(line[5:] for line in lines if line.startswith("HEAD "))
        return heads

    def _read_new_commits(
        self,
        repo: _Repo,
        tips: Mapping[str, str],
        fresh: list[str],
        old: set[str] | None,
        context: ScanContext,
    ) -> Iterator[Win]:
        """The commits reachable from ``fresh`` and not from the ``old`` tips."""
        if not old:
            yield from self._read_commits(
                repo, tips, fresh, [], history=old is None, context=context
            )
            return
        try:
            # The old tips almost always still exist: one git process, not two.
            yield from self._read_commits(
                repo, tips, fresh, sorted(old), history=False, context=context
            )
        except _GitFailed:
            # git log refuses all of it when one old tip is gone; git fails before its first
            # record, and a commit yielded twice would count once (scan keeps keys seen).
            hidden = self._existing_commits(repo, old)
            yield from self._read_commits(repo, tips, fresh, hidden, history=False, context=context)

    def _existing_commits(self, repo: _Repo, shas: Iterable[str]) -> list[str]:
        # A rebase, an amend or a deleted branch leaves old tips that gc later removes; git log
        # refuses a missing commit even after --not, so those are dropped here.
        out = _git(
            repo.path,
            "cat-file",
            "--batch-check=%(objectname) %(objecttype)",
            stdin="".join(f"{sha}\n" for sha in shas),
        )
        return [line.split()[0] for line in out.splitlines() if line.endswith(" commit")]

    def _authors(self, repo: _Repo) -> list[str]:
        if self.options.authors:
            return self.options.authors
        email = default_email(Path(repo.path))
        if email is None:
            raise _GitFailed(_MISSING_EMAIL_FIX)
        return [email.lower()]

    def _read_commits(
        self,
        repo: _Repo,
        tips: Mapping[str, str],
        fresh: list[str],
        hidden: list[str],
        *,
        history: bool,
        context: ScanContext,
    ) -> Iterator[Win]:
        authors = self._authors(repo)
        wanted = set(authors)
        args = _log_args(authors, include_merges=self.options.include_merges)
        revisions = "".join(f"{sha}\n" for sha in fresh) + "".join(f"^{sha}\n" for sha in hidden)
        # The same for every commit of this repository: worked out once, not per commit.
        name = repo.name
        path = repo.path
        tags = (name, "git")
        for sha, parents, email, authored, committed, source, subject in _stream_log(
            repo, args, revisions
        ):
            if email.lower() not in wanted:
                continue
            occurred_at = _parse_date(authored)
            if occurred_at is None:
                context.report_problem(
                    f"commit {sha} has an unreadable author date {authored!r}, skipped",
                    path=_tilde(path),
                )
                continue
            yield Win(
                key=sha,
                title=subject or f"Commit {sha[:7]}",
                occurred_at=occurred_at,
                kind="commit",
                tags=tags,
                details={
                    "place": name,
                    "repo": path,
                    "repo_name": name,
                    "branch": tips.get(source, source),
                    "sha": sha,
                    "author_email": email,
                    "committed_at": committed,
                    "parents": len(parents.split()),
                },
                history=history,
            )


def _log_args(authors: Iterable[str], *, include_merges: bool) -> list[str]:
    """The ``git log`` arguments of a scan; the revisions come on stdin."""
    args = [
        "log",
        "--stdin",
        "--source",
        "--encoding=UTF-8",
        "--no-show-signature",
        "-z",
        f"--format={_LOG_FORMAT}",
        # git narrows by substring, fast; the exact email is checked by the caller.
        *(f"--author=<{email}>" for email in authors),
        "--fixed-strings",
        "--regexp-ignore-case",
    ]
    if not include_merges:
        args.append("--no-merges")
    return args


def _stream_log(repo: _Repo, args: list[str], revisions: str) -> Iterator[list[str]]:
    """Run ``git log`` and yield each record's fields as git writes them."""
    # Files, not pipes, for what goes in and for the messages: neither can then fill a pipe
    # buffer and stall git while stdout is being read.
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as errors:
        stdin.write(revisions.encode())
        stdin.seek(0)
        try:
            proc = subprocess.Popen(
                _git_command(repo.path, *args),
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=_git_env(),
            )
        except FileNotFoundError as exc:
            raise _GitFailed("git is not installed (or not on PATH)") from exc
        with proc:
            assert proc.stdout is not None  # stdout=PIPE
            try:
                yield from _records(proc.stdout)
            except BaseException:
                # Also when the scan is abandoned part way: no git left running.
                proc.kill()
                raise
        if proc.returncode != 0:
            errors.seek(0)
            reason = _first_line(errors.read()) or f"exit status {proc.returncode}"
            raise _GitFailed(f"git log failed: {reason}")


def _records(stdout: IO[bytes]) -> Iterator[list[str]]:
    pending = b""
    while chunk := stdout.read(READ_CHUNK):
        data = pending + chunk
        end = data.rfind(b"\0")
        if end < 0:
            pending = data
            continue
        pending = data[end + 1 :]
        # The complete records decoded at once: NUL is ASCII, never inside a UTF-8 sequence,
        # so this gives what decoding each record on its own gives, bad bytes included.
        for record in data[:end].decode("utf-8", "replace").split("\0"):
            fields = record.split("\x1f", _LOG_FIELDS - 1)
            if len(fields) == _LOG_FIELDS:
                yield fields


def _known_tips(cursor: Any, fingerprint: dict[str, Any]) -> dict[str, set[str]]:
    """The tips each repository had at the last scan, if that scan counted the same way."""
    if not isinstance(cursor, dict) or cursor.get("version") != CURSOR_VERSION:
        return {}
    repos = cursor.get("repos")
    if cursor.get("filter") != fingerprint or not isinstance(repos, dict):
        return {}
    return {
        path: set(tips)
        for path, tips in repos.items()
        if isinstance(tips, list) and all(isinstance(sha, str) for sha in tips)
    }


@hookimpl
def register_detectors(register: Callable[[type[Detector]], None]) -> None:
    register(GitDetector)


@hookimpl
def offer_sources(folder: Path, register: Callable[[SourceOffer], None]) -> None:
    """Your commits in the repository ``folder`` is in, or in the repositories inside it."""
    root = find_repository(folder)
    children = []
    if root is None and folder.is_dir():
        children = [p for p in sorted(folder.iterdir()) if (p / ".git").exists()]
    if root is not None:
        repos = [_tilde(str(root))]
    elif children:
        repos = [_tilde(str(folder)) + "/*"]
    else:
        repos = ["~/src/*"]
    options: dict[str, Any] = {"repos": repos}
    comments = {"repos": "Globs of git work trees; every local branch counts."}
    email = default_email(root or folder)
    if email:
        options["authors"] = [email]
        comments["authors"] = (
            "Whose commits count (default: each repository's git config user.email)."
        )
    who = email or "nobody yet (git config --global user.email you@example.com)"
    here = root is not None or bool(children)
    says = f"watching {', '.join(repos)} for commits by {who}"
    if not here:
        says = f"{folder} is not inside a git repository and holds none"
    register(SourceOffer("code", "git", options, comments, says=says, here=here))
