"""Real git repositories in a temporary folder, with no trace of the user's own git setup."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

# What git itself clears when it switches repositories; a test run from a git hook has them set.
REPOSITORY_ENV = (
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_CONFIG",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_PARAMETERS",
    "GIT_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_PREFIX",
    "GIT_WORK_TREE",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "GIT_COMMITTER_DATE",
)

ME = "me@example.com"
OTHER = "Other <other@example.com>"


class GitRepo:
    """A real git work tree; ``commit`` changes a file, so rebases and cherry-picks are real."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0

    def git(self, *args: str, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env={**os.environ, **(env or {})},
            input=input,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace')}")
        return done.stdout.decode(errors="replace").strip()

    def commit(
        self, subject: str = "", *, author: str | None = None, date: str | None = None
    ) -> str:
        self.count += 1
        name = f"file{self.count}.txt"
        (self.path / name).write_text(f"{subject or self.count}\n")
        self.git("add", name)
        extra = [f"--author={author}"] if author else []
        env = {"GIT_AUTHOR_DATE": date} if date else None
        self.git("commit", "-q", "-m", subject or f"Change {self.count}", *extra, env=env)
        return self.head()

    def head(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)


@pytest.fixture(autouse=True)
def git_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME in tmp_path, so neither the user's ~/.gitconfig nor /etc/gitconfig leaks in."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name in REPOSITORY_ENV:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    return folder


@pytest.fixture
def make_repo(src: Path) -> Callable[..., GitRepo]:
    """A new repository under ``src``, with user.email set in its own config."""

    def make(name: str = "project") -> GitRepo:
        repo = GitRepo(src / name)
        repo.path.mkdir()
        repo.git("init", "-q", "-b", "main")
        repo.git("config", "user.name", "Me")
        repo.git("config", "user.email", ME)
        return repo

    return make


@pytest.fixture
def project(make_repo: Callable[..., GitRepo]) -> GitRepo:
    return make_repo()
