"""The detector itself: what to watch, and a scan that turns new commits into wins.

The cursor (see the package's docstring) is the branch tips each repository had last time.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import Any

from smallwins import Detector, DetectorError, DetectorOptions, ScanContext, Win

from .commands import GitFailed, default_email
from .log import log_args, parse_date, stream_log
from .options import GitOptions
from .repos import (
    Repo,
    branch_tips,
    candidates,
    existing_commits,
    is_glob,
    relevant_inside_git_dir,
    resolve,
    tilde,
)

__all__ = ["GitDetector"]

CURSOR_VERSION = 1
_MISSING_EMAIL_FIX = (
    "no author email to look for: set authors = [...] for this source, "
    "or run: git config --global user.email you@example.com"
)


class GitDetector(Detector):
    """Each commit you author in the watched repositories, once per commit id."""

    name = "git"
    noun = "commit"
    # A commit is made at this machine by someone awake: celebrated at once, even at night.
    interactive = True
    description = "Commits you make in local git repositories (every branch and worktree)."
    Options = GitOptions

    options: GitOptions

    def __init__(self, source: str, options: DetectorOptions) -> None:
        if not isinstance(options, GitOptions):
            raise TypeError(f"GitDetector needs GitOptions, got {type(options).__name__}")
        super().__init__(source, options)
        # Where each configured path keeps its git folders; found once, rechecked cheaply.
        self._layouts: dict[str, Repo] = {}
        self._commits_seen = 0  # in this scan, for its progress

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
                return relevant_inside_git_dir(path.relative_to(root).parts)
        # Not resolved yet (no watch_paths call in this process): a work tree's .git folder.
        if ".git" in path.parts:
            index = len(path.parts) - 1 - path.parts[::-1].index(".git")
            return relevant_inside_git_dir(path.parts[index + 1 :])
        return False

    def describe(self) -> str:
        patterns = self.options.repos
        if len(patterns) == 1 and not is_glob(patterns[0]):
            return tilde(os.path.abspath(os.path.expanduser(patterns[0])))
        found = [path for _, paths in candidates(patterns) for path in paths]
        if len(found) == 1:
            return tilde(found[0])
        if not found:
            return f"no repositories yet in {', '.join(patterns)}"
        return f"{len(found)} repositories in {tilde(os.path.commonpath(found))}"

    # -- scanning ------------------------------------------------------------------------

    def scan(self, context: ScanContext) -> Generator[Win, None, None]:
        fingerprint = self._fingerprint()
        known = _known_tips(context.cursor, fingerprint)
        failures: list[tuple[str, str]] = []
        repos = self._repositories(failures)
        tips_after: dict[str, list[str]] = {}
        seen: set[str] = set()
        self._commits_seen = 0
        for repo in repos:
            try:
                tips = branch_tips(repo, self.options.branches)
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
            except GitFailed as exc:
                failures.append((repo.path, str(exc)))
        if not tips_after:
            raise DetectorError("; ".join(f"{tilde(path)}: {why}" for path, why in failures))
        for path, why in failures:
            context.report_problem(why, path=tilde(path))
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

    def _repositories(self, failures: list[tuple[str, str]]) -> list[Repo]:
        repos: dict[str, Repo] = {}
        for pattern, paths in candidates(self.options.repos):
            if not paths:
                failures.append((pattern, "matches no folder"))
            for path in paths:
                try:
                    repo = self._resolve(path)
                except GitFailed as exc:
                    failures.append((path, str(exc)))
                    continue
                # A main work tree and its linked worktrees share one history: read it once.
                repos.setdefault(os.path.realpath(repo.common_dir), repo)
        return list(repos.values())

    def _resolve(self, path: str) -> Repo:
        cached = self._layouts.get(path)
        if cached is not None and os.path.isdir(cached.git_dir):
            return cached
        repo = resolve(path)
        self._layouts[path] = repo
        return repo

    def _read_new_commits(
        self,
        repo: Repo,
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
        except GitFailed:
            # git log refuses all of it when one old tip is gone; git fails before its first
            # record, and a commit yielded twice would count once (scan keeps keys seen).
            hidden = existing_commits(repo, old)
            yield from self._read_commits(repo, tips, fresh, hidden, history=False, context=context)

    def _authors(self, repo: Repo) -> list[str]:
        if self.options.authors:
            return self.options.authors
        email = default_email(Path(repo.path))
        if email is None:
            raise GitFailed(_MISSING_EMAIL_FIX)
        return [email.lower()]

    def _read_commits(
        self,
        repo: Repo,
        tips: Mapping[str, str],
        fresh: list[str],
        hidden: list[str],
        *,
        history: bool,
        context: ScanContext,
    ) -> Iterator[Win]:
        authors = self._authors(repo)
        wanted = set(authors)
        args = log_args(authors, include_merges=self.options.include_merges)
        revisions = "".join(f"{sha}\n" for sha in fresh) + "".join(f"^{sha}\n" for sha in hidden)
        # The same for every commit of this repository: worked out once, not per commit.
        name = repo.name
        path = repo.path
        tags = (name, "git")

        def progress(count: int) -> None:
            self._commits_seen += count
            context.report_progress(self._commits_seen, unit="commits")

        for sha, parents, email, authored, committed, source, subject in stream_log(
            repo, args, revisions, progress
        ):
            if email.lower() not in wanted:
                continue
            occurred_at = parse_date(authored)
            if occurred_at is None:
                context.report_problem(
                    f"commit {sha} has an unreadable author date {authored!r}, skipped",
                    path=tilde(path),
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
