"""A long first scan shows a progress line on a terminal, and nothing on a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from tests.test_plugins import write_plugin

# A detector whose scan takes about 2.5 s and says how far it has got, as a long first scan
# of a big export does.
SLOW = """
import time
from datetime import UTC, datetime
from smallwins import Detector, Win, hookimpl

class Slow(Detector):
    name = "slow"
    noun = "step"
    def scan(self, context):
        for step in range(25):
            context.report_progress(step, 25, "steps")
            time.sleep(0.1)
        context.save_cursor({"done": True})
        yield Win(key="one", title="One", occurred_at=datetime.now(UTC))

@hookimpl
def register_detectors(register):
    register(Slow)
"""


def _configure(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "plugins"
    write_plugin(folder, "slow.py", SLOW)
    (home / "config.toml").write_text(
        textwrap.dedent(
            f"""
            plugins_dir = "{folder}"
            [sources.big]
            detector = "slow"
            """
        )
    )


def _run_once(stderr: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "smallwins", "run", "--once"],
        stdout=subprocess.PIPE,
        stderr=stderr,
        env={**os.environ, "TERM": "xterm"},
    )


def test_a_long_scan_shows_a_progress_line_on_a_terminal(home: Path, tmp_path: Path) -> None:
    _configure(home, tmp_path)
    master, slave = pty.openpty()
    proc = _run_once(slave)
    os.close(slave)
    seen = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the process closed the terminal
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        assert proc.wait(timeout=60) == 0
    finally:
        reader.join(timeout=10)
        os.close(master)
        assert proc.stdout is not None
        proc.stdout.close()
    text = seen.decode("utf-8", "replace")
    assert "\r\x1b[KScanning big [" in text
    assert "/25 steps" in text and "%" in text
    # The line is cleared once the scan ends: what follows the last clearing is no bar.
    assert "Scanning" not in text.rsplit("\r\x1b[K", 1)[-1]


def test_a_long_scan_adds_nothing_on_a_pipe(home: Path, tmp_path: Path) -> None:
    _configure(home, tmp_path)
    proc = _run_once(subprocess.PIPE)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    text = err.decode()
    assert "Scanning" not in text and "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert lines and all(" smallwins" in line for line in lines), lines
