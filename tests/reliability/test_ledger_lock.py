"""Two daemons with different homes but one SQLite ledger: the second exits 75 naming the
first's home; readers of the ledger are not blocked."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli_run import smallwins
from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess


def make_home(root: Path, ledger: Path, repo: Repo) -> dict[str, str]:
    root.mkdir()
    (root / "config.toml").write_text(
        f"""
[ledger]
url = "sqlite:///{ledger}"

[sources.code]
detector = "git"
repos = ["{repo.path}"]
"""
    )
    return {**os.environ, "SMALLWINS_HOME": str(root)}


def test_a_second_home_on_the_same_ledger_exits_75_naming_the_first(
    home: Path, repo: Repo, tmp_path: Path
) -> None:
    repo.commit()
    ledger = tmp_path / "shared" / "ledger.sqlite3"
    first_env = make_home(tmp_path / "first", ledger, repo)
    second_env = make_home(tmp_path / "second", ledger, repo)
    first = DaemonProcess(tmp_path / "first", repo.path, env=first_env)
    try:
        first.wait_ready()
        for args in (("run",), ("run", "--once")):
            second = smallwins(*args, cwd=repo.path, env=second_env, timeout=30)
            assert second.returncode == 75, (args, second.stderr)
            assert f"pid {first.proc.pid}" in second.stderr
            assert f"home {tmp_path / 'first'}" in second.stderr
            assert f"ledger {ledger}" in second.stderr
        assert (tmp_path / "shared" / "ledger.sqlite3.lock").exists()
        # The lock is beside the ledger, not on it: the other home still reads it.
        listed = smallwins("wins", "--json", cwd=repo.path, env=second_env)
        assert listed.returncode == 0 and '"source": "code"' in listed.stdout, listed.stderr
        assert smallwins("status", env=second_env).returncode == 0
        assert first.stop() == 0
        again = smallwins("run", "--once", cwd=repo.path, env=second_env, timeout=60)
        assert again.returncode == 0, again.stderr
    finally:
        first.close()


def test_a_ledger_in_memory_takes_no_lock(home: Path, repo: Repo, tmp_path: Path) -> None:
    env = make_home(tmp_path / "memory", tmp_path / "unused", repo)
    (tmp_path / "memory" / "config.toml").write_text('[ledger]\nurl = "sqlite://"\n')
    done = smallwins("run", "--once", cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.glob("*.lock"))
