"""End to end: a celebration sent through desktop:// (jeepney, wheels only) and through
Apprise's dbus:// (dbus-python) reaches a real notification daemon.

The rig (tests/desktop.py) runs Xvfb, a private session bus and dunst; these tests skip with
the missing package's name when those are not installed (`.ci/desktop-deps`), or when the
scheme's Python client is not (`pip install -e '.[desktop]'`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import smallwins
from tests.desktop import DesktopSession, desktop_session, require_client

pytestmark = pytest.mark.desktop

SRC = Path(__file__).resolve().parents[1] / "src"

# Sending happens in a child process because dbus:// keeps the first session bus a process
# used: from the pytest process, every test after the first would talk to a dead bus.
SCHEMES = ["desktop://", "dbus://"]
SEND = """\
import json, sys
from smallwins.delivery.notify import send_one
url, title, body, notify_type, timeout = sys.argv[1:]
ok, error = send_one(url, title, body, notify_type, timeout=float(timeout))
print(json.dumps({"ok": ok, "error": error}))
"""

# A hang here is the bug the no-daemon test looks for; this only stops a hung child from
# hanging the whole run.
CHILD_LIMIT = 60.0


def send_in_child(
    session: DesktopSession,
    url: str,
    title: str,
    body: str,
    *,
    notify_type: str = "success",
    timeout: float = 10.0,
) -> tuple[dict[str, Any], float]:
    """Run send_one(url, ...) in a fresh interpreter on the session's bus.

    Returns the child's {"ok", "error"} and the wall time the child took.
    """
    env = dict(session.env)
    # The checkout's code, whether or not the package is installed in this venv.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    argv = [sys.executable, "-c", SEND, url, title, body, notify_type, str(timeout)]
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=CHILD_LIMIT, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"sending hung for more than {CHILD_LIMIT}s\n{session.logs()}")
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, f"sender crashed:\n{proc.stderr}\n{session.logs()}"
    return json.loads(proc.stdout.strip().splitlines()[-1]), elapsed


@pytest.mark.parametrize("url", SCHEMES)
def test_celebration_reaches_dunst(url: str) -> None:
    require_client(url.partition(":")[0])
    # A unique title, so a notification from anything else can never pass for ours.
    title = f"Small win: 5-day streak {uuid.uuid4().hex[:8]}"
    body = "Meditated 5 days in a row. Ünïcödé and 🎉 survive the trip"
    with desktop_session() as session:
        result, _ = send_in_child(session, url, title, body)
        assert result == {"ok": True, "error": None}, session.logs()
        history = session.history()

    assert len(history) == 1, history
    received = history[0]
    assert received["summary"] == title
    assert received["body"] == body
    assert received["appname"] == "smallwins"
    # dunst draws critical notifications red and keeps them up until clicked away: wrong
    # for a celebration.
    assert received["urgency"] != "CRITICAL", received
    assert received["urgency"] == "NORMAL", received


@pytest.mark.parametrize("url", SCHEMES)
def test_no_notification_daemon_fails_fast(url: str) -> None:
    require_client(url.partition(":")[0])
    with desktop_session(notification_daemon=False) as session:
        result, elapsed = send_in_child(
            session, url, "Small win", "nobody is listening", timeout=5.0
        )

    assert result["ok"] is False, result
    assert result["error"], result
    if url == "desktop://":
        # Said plainly, so that `notify test` tells the person what is wrong.
        assert "no notification daemon on the session bus" in result["error"], result
    # The child's own start-up (Python + Apprise loading its plugins) is most of this.
    assert elapsed < 5.0, f"took {elapsed:.1f}s to report {result['error']!r}"


def test_a_hung_notification_daemon_costs_no_more_than_the_send_timeout() -> None:
    require_client("desktop")
    with desktop_session() as session:
        assert session.daemon_pid is not None
        os.kill(session.daemon_pid, signal.SIGSTOP)
        try:
            result, elapsed = send_in_child(
                session, "desktop://", "Small win", "nobody answers", timeout=2.0
            )
        finally:
            os.kill(session.daemon_pid, signal.SIGCONT)

    assert result == {"ok": False, "error": "no answer in 2 s"}, result
    # The send is left on its daemon thread, which does not hold the child's exit: start-up,
    # then the 2 s, and no 25 s wait for D-Bus to give up.
    assert elapsed < 8.0, f"took {elapsed:.1f}s"


def test_notify_test_on_desktop_reaches_dunst(tmp_path: Path) -> None:
    # The command a person runs after `init` proposed desktop://, on a real desktop.
    require_client("desktop")
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[notify]\nurls = ["desktop://"]\n')
    with desktop_session() as session:
        env = dict(session.env, SMALLWINS_HOME=str(home))
        env.pop("SMALLWINS_CONFIG", None)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
        done = smallwins("notify", "test", env=env)
        history = session.history()

    assert (done.returncode, done.stdout) == (0, "target-1 (desktop://): ok\n"), done.stderr
    assert [(n["summary"], n["appname"], n["urgency"]) for n in history] == [
        ("🎉 smallwins test", "smallwins", "NORMAL")
    ]
    assert history[0]["body"] == "If you can read this, smallwins can reach you here."


def test_rig_reads_urgency_back() -> None:
    # Guards the test above against passing by accident: the rig must be able to see a
    # critical notification as critical.
    if shutil.which("notify-send") is None:
        pytest.skip("libnotify-bin not installed (notify-send not on PATH): run .ci/desktop-deps")
    with desktop_session() as session:
        for urgency in ("low", "normal", "critical"):
            subprocess.run(
                ["notify-send", "-a", "rig", "-u", urgency, f"u-{urgency}", "body"],
                env=session.env,
                check=True,
                timeout=10,
            )
        history = session.history()

    assert [(n["summary"], n["urgency"]) for n in history] == [
        ("u-low", "LOW"),
        ("u-normal", "NORMAL"),
        ("u-critical", "CRITICAL"),
    ]
