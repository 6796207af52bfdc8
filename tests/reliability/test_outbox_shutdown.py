"""SIGTERM while a sender hangs: the daemon stops within 5 s, says nothing alarming, and what
was in flight stays in the outbox."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess, status_json
from tests.reliability.outbox_endpoint import Endpoint


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    yield server
    server.close()


def write_config(home: Path, repo: Repo, url: str, timeout: float) -> None:
    (home / "config.toml").write_text(
        f"""
[notify]
urls = ["{url}"]
coalesce_seconds = 0.3
send_timeout_seconds = {timeout}
[sources.code]
detector = "git"
repos = ["{repo.path}"]
"""
    )


def test_sigterm_while_the_endpoint_hangs_stops_within_5_s_and_keeps_the_message(
    home: Path, repo: Repo, endpoint: Endpoint
) -> None:
    endpoint.mode = "hang"
    repo.commit("Work before the start")
    # The endpoint's own read timeout (120 s) outlasts the send timeout and the stop timeout.
    write_config(home, repo, endpoint.url("?rto=120"), timeout=10)
    daemon = DaemonProcess(home, repo.path)
    try:
        daemon.wait_ready()
        (held,) = endpoint.wait_for_requests(1)
        started = time.monotonic()
        daemon.proc.send_signal(signal.SIGTERM)
        try:
            code: int | None = daemon.proc.wait(15)
        except subprocess.TimeoutExpired:
            code = None  # still running: the unit's stop timeout would SIGKILL it
        took = time.monotonic() - started
        stderr = daemon.stderr
    finally:
        daemon.close()
    assert took < 5, f"stopping took {took:.1f} s; stderr:\n{stderr}"
    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert "Error" not in stderr, stderr
    assert status_json()["outbox"]["pending"] == 1  # in flight: not sent, not lost
    assert "Found 1 past commit" in held["message"]
