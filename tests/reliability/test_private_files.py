"""Files smallwins creates are private (600, folders 700) whatever the umask; a config others
can read is warned about."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo


def run(*args: str, home: Path, cwd: Path, umask: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smallwins", *args],
        cwd=cwd,
        env={**os.environ, "SMALLWINS_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        umask=umask,
    )


def modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_config_ledger_and_state_are_private_whatever_the_umask(
    home: Path, repo: Repo, tmp_path: Path, umask: int
) -> None:
    repo.commit()
    fresh = tmp_path / "fresh" / "home"
    done = run("init", home=fresh, cwd=repo.path, umask=umask)
    assert done.returncode == 0, done.stderr
    done = run("run", "--once", home=fresh, cwd=repo.path, umask=umask)
    assert done.returncode == 0, done.stderr
    assert "readable by others" not in done.stderr
    found = modes(fresh)
    assert found["config.toml"] == 0o600
    assert found["data/ledger.sqlite3"] == 0o600
    assert found["data/ledger.sqlite3.lock"] == 0o600
    assert found["state/daemon.lock"] == 0o600
    for name in (".", "data", "state"):
        assert found[name] == 0o700, name
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o700
    exposed = {name: oct(mode) for name, mode in found.items() if mode & 0o077}
    assert exposed == {}


def test_wal_files_follow_the_ledger(home: Path, repo: Repo, tmp_path: Path) -> None:
    from smallwins.ledger import open_ledger, sqlite_url

    old = os.umask(0o000)
    try:
        ledger = open_ledger(sqlite_url(tmp_path / "elsewhere" / "ledger.sqlite3"))
        try:
            wal = modes(tmp_path / "elsewhere")
        finally:
            ledger.close()
    finally:
        os.umask(old)
    assert wal == {
        ".": 0o700,
        "ledger.sqlite3": 0o600,
        "ledger.sqlite3-wal": 0o600,
        "ledger.sqlite3-shm": 0o600,
    }


def test_a_config_others_can_read_is_warned_about(home: Path, repo: Repo) -> None:
    config = home / "config.toml"
    config.write_text(f'[sources.code]\ndetector = "git"\nrepos = ["{repo.path}"]\n')
    os.chmod(config, 0o644)
    done = run("check-config", home=home, cwd=repo.path, umask=0o022)
    assert done.returncode == 0, done.stderr
    assert f"{config} is readable by others (mode 644)" in done.stderr
    assert f"chmod 600 {config}" in done.stderr
    daemon = run("run", "--once", home=home, cwd=repo.path, umask=0o022)
    assert f"WARNING smallwins: {config} is readable by others" in daemon.stderr
    os.chmod(config, 0o600)
    assert "readable" not in run("check-config", home=home, cwd=repo.path, umask=0).stderr
