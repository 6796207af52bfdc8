"""The daemon as a real subprocess, with its stderr kept for assertions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from tests.cli_run import smallwins


class DaemonProcess:
    def __init__(self, home: Path, cwd: Path, *args: str, env: dict[str, str] | None = None):
        self.home = home
        self.cwd = cwd
        # Closed in close(): they outlive this method, so no context manager.
        self._stderr: IO[Any] = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self._stdout: IO[Any] = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smallwins", "run", *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=self._stdout,
            stderr=self._stderr,
        )

    @property
    def stderr(self) -> str:
        self._stderr.seek(0)
        return str(self._stderr.read())

    @property
    def stdout(self) -> str:
        self._stdout.seek(0)
        return str(self._stdout.read())

    def wait_for_log(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.stderr:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not logged; stderr:\n{self.stderr}")

    def wait_ready(self) -> None:
        self.wait_for_log("running:")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def close(self) -> None:
        """Kill the daemon if it still runs and release its output files."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._stdout.close()
        self._stderr.close()


def status_json(env: dict[str, str] | None = None) -> dict[str, Any]:
    import json

    done = smallwins("status", "--json", env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def wins_json(*args: str) -> list[dict[str, Any]]:
    import json

    done = smallwins("wins", "--json", "--limit", "0", *args, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def daemon_signal(proc: DaemonProcess, sig: signal.Signals) -> None:
    os.kill(proc.proc.pid, sig)
