"""A full disk under the ledger: nothing lost, one clear warning, the state in `status` (kept
outside the ledger), a `system` message, and no tracebacks."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess, status_json, wins_json
from tests.reliability.outbox_endpoint import Endpoint


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real filesystem of 2 MiB (tmpfs), to fill up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def endpoints() -> Iterator[tuple[Endpoint, Endpoint]]:
    wins, system = Endpoint(), Endpoint()
    yield wins, system
    wins.close()
    system.close()


def fill(disk: Path) -> Path:
    """Write a file until the disk is full; returns it."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 4096)
    return filler


def test_a_full_disk_is_said_once_shown_in_status_and_loses_nothing(
    home: Path, repo: Repo, small_disk: Path, endpoints: tuple[Endpoint, Endpoint]
) -> None:
    wins, system = endpoints
    (home / "config.toml").write_text(
        f"""
[ledger]
url = "sqlite:///{small_disk}/ledger.sqlite3"
[notify]
urls = ["{wins.url()}", {{ url = "{system.url()}", tags = ["system"], name = "ops" }}]
coalesce_seconds = 0.2
[sources.code]
detector = "git"
repos = ["{repo.path}"]
"""
    )
    repo.commit("Before the disk filled")
    made = 1
    daemon = DaemonProcess(home, repo.path)
    try:
        daemon.wait_ready()
        wins.wait_for_requests(1)
        filler = fill(small_disk)
        deadline = time.monotonic() + 30
        while status_json()["ledger_outage"] is None and time.monotonic() < deadline:
            made += 1
            repo.commit(f"While full {made} " + "x" * 2000)
            time.sleep(0.5)
        outage = status_json()["ledger_outage"]
        assert outage is not None, daemon.stderr
        assert "full" in outage["error"] and outage["since"]
        for _ in range(5):  # more work while full: nothing more is said
            made += 1
            repo.commit(f"While full {made}")
            time.sleep(0.3)
        (alert,) = system.wait_for_requests(1)
        assert alert["title"] == "smallwins cannot write its ledger"
        assert alert["type"] == "warning"
        assert daemon.proc.poll() is None  # the daemon keeps going
        filler.unlink()
        made += 1
        repo.commit("After space was freed")
        deadline = time.monotonic() + 20
        while len(wins_json()) < made and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(wins_json()) == made  # nothing lost
        assert status_json()["ledger_outage"] is None
        while status_json()["outbox"]["pending"] and time.monotonic() < deadline:
            time.sleep(0.2)

        # What waited is told once the disk has room (with what it caused, such as a total).
        def told() -> list[str]:
            return [request["message"] for request in wins.requests[1:]]

        while time.monotonic() < deadline and not any(
            "While full" in m or "After space was freed" in m for m in told()
        ):
            time.sleep(0.2)
        assert any("While full" in m or "After space was freed" in m for m in told()), told()
        assert daemon.stop() == 0
        stderr = daemon.stderr
    finally:
        daemon.close()
    assert stderr.count("cannot be written since") == 1, stderr
    assert "can be written again" in stderr
    assert "Traceback" not in stderr and "never retrieved" not in stderr, stderr
    assert len(system.requests) == 1
