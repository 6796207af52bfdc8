from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests import postgres
from tests.hours import at_any_hour
from tests.receiver import Receiver

# CI explores the same examples on every run: a new failing example found by chance shows up
# in a developer's run (and its saved database), not as a landing that fails once in a while.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session", autouse=True)
def postgres_server() -> Iterator[None]:
    """Stops the PostgreSQL server the session started on first use (tests/postgres.py)."""
    yield
    postgres.stop()


@pytest.fixture
def own_server() -> Iterator[postgres.Server]:
    """A PostgreSQL server for one test alone, which it may stop and start again."""
    started = postgres.own_server()
    yield started
    with contextlib.suppress(subprocess.SubprocessError):
        started.stop()
    shutil.rmtree(started.folder, ignore_errors=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SMALLWINS_HOME in a temporary folder, and a git identity that is not the user's."""
    root = tmp_path / "home"
    root.mkdir()
    monkeypatch.setenv("SMALLWINS_HOME", str(root))
    monkeypatch.delenv("SMALLWINS_CONFIG", raising=False)
    monkeypatch.delenv("SMALLWINS_LOAD_PLUGINS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    at_any_hour(monkeypatch)
    (tmp_path / "user").mkdir()
    return root


class Repo:
    """A real git repository in a temporary folder."""

    def __init__(self, path: Path, email: str = "me@example.com") -> None:
        self.path = path
        self.email = email
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", email)
        self.git("config", "user.name", "Me")
        self.count = 0

    def git(self, *args: str) -> str:
        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def commit(self, subject: str | None = None) -> str:
        self.count += 1
        name = self.path / f"file{self.count}.txt"
        name.write_text(f"{self.count}\n")
        self.git("add", name.name)
        self.git("commit", "-q", "-m", subject or f"Change {self.count}")
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "project")
