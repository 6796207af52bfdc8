"""After a move to another time zone, a win keeps the day it was recorded on (a diary keeps
the day where you were), and `wins` shows every time in the zone the person is in now."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.cli_run import smallwins
from tests.conftest import Repo


def commit_at(repo: Repo, subject: str, when: str) -> None:
    (repo.path / f"{subject}.txt").write_text(subject)
    repo.git("add", "-A")
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "commit", "-q", "-m", subject], cwd=repo.path, env=env, check=True)


def live_in(home: Path, repo: Repo, zone: str) -> None:
    (home / "config.toml").write_text(
        f"""
timezone = "{zone}"
[sources.code]
detector = "git"
repos = ["{repo.path}"]
authors = ["{repo.email}"]
"""
    )
    done = smallwins("run", "--once", cwd=repo.path, env=dict(os.environ))
    assert done.returncode == 0, done.stderr


def test_days_stay_where_they_were_and_times_show_in_the_current_zone(
    home: Path, repo: Repo
) -> None:
    # 06:00 in Berlin, recorded there: the 11th.
    commit_at(repo, "In Berlin", "2024-01-11T06:00:00+01:00")
    live_in(home, repo, "Europe/Berlin")
    # An hour later, in New York at 01:00: before the day starts at 04:00, so the 10th.
    commit_at(repo, "In New York", "2024-01-11T01:00:00-05:00")
    live_in(home, repo, "America/New_York")

    done = smallwins("wins", "--json", env=dict(os.environ))
    days = {win["title"]: win["day"] for win in json.loads(done.stdout)}
    assert days == {"In Berlin": "2024-01-11", "In New York": "2024-01-10"}

    listing = smallwins("wins", env=dict(os.environ)).stdout.splitlines()
    assert [line.split("  ")[0] for line in listing] == ["2024-01-11 01:00", "2024-01-11 00:00"]
    assert "In New York" in listing[0] and "In Berlin" in listing[1]
