"""A throwaway Linux desktop for end-to-end notification tests.

`desktop_session()` starts Xvfb, a private D-Bus session bus and a real dunst notification
daemon, all in a temporary directory, and tears them down again however the test ends.
It skips the test (naming the missing package) when a piece is not installed; run
`.ci/desktop-deps` to get them; `require_client` skips when the scheme's Python client is
missing (`pip install -e '.[desktop]'` for desktop://).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = ["DesktopSession", "desktop_session", "require_client"]

INSTALL_HINT = "run .ci/desktop-deps"

# binary -> Debian package that ships it, so a skip says exactly what to install.
REQUIRED_BINARIES: dict[str, str] = {
    "Xvfb": "xvfb",
    "dbus-daemon": "dbus",
    "dbus-send": "dbus",
    "dunst": "dunst",
    "dunstctl": "dunst",
    # dunstctl's `history` subcommand shells out to busctl.
    "busctl": "systemd",
}

START_TIMEOUT = 10.0
STOP_TIMEOUT = 3.0
COMMAND_TIMEOUT = 10.0

# Our own bus config instead of the stock session.conf: the stock one enables service
# activation from /usr/share/dbus-1/services, where the dunst package installs an activation
# file. The bus would then auto-start a second, unmanaged dunst (with the user's config and
# outside our process groups) and a "no notification daemon" test could never fail to find one.
BUS_CONFIG = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={socket_dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

# dunst 1.9's history (NotificationListHistory) has no urgency field, so a rule per urgency
# prefixes the formatted message with dunst's own reading of it; history() parses it back.
# Long timeouts keep notifications on screen until history() closes them, so nothing
# depends on how fast the test runs.
DUNSTRC = """\
[global]
    font = Monospace 8
    history_length = 100
    idle_threshold = 0
    show_indicators = no

[urgency_low]
    timeout = 300
[urgency_normal]
    timeout = 300
[urgency_critical]
    timeout = 300

[smallwins_test_low]
    msg_urgency = low
    format = "LOW\\n%s\\n%b"
[smallwins_test_normal]
    msg_urgency = normal
    format = "NORMAL\\n%s\\n%b"
[smallwins_test_critical]
    msg_urgency = critical
    format = "CRITICAL\\n%s\\n%b"
"""


@dataclass
class DesktopSession:
    """A running desktop: pass `env` to child processes so they talk to it."""

    env: dict[str, str] = field(repr=False)
    tmpdir: Path
    has_notification_daemon: bool
    _logs: dict[str, Path] = field(default_factory=dict)
    # dunst's pid, for tests that freeze it (SIGSTOP) to play a hung notification daemon.
    daemon_pid: int | None = None

    def history(self) -> list[dict[str, Any]]:
        """Every notification dunst has received, oldest first.

        Each item has `summary`, `body`, `appname`, `urgency` ("LOW", "NORMAL" or
        "CRITICAL") and `id`.
        """
        if not self.has_notification_daemon:
            raise RuntimeError("this session was started without dunst")
        # dunst 1.9 lists only closed notifications in its history; ones still on screen
        # are invisible to `dunstctl history`.
        self._dunstctl("close-all")
        raw = json.loads(self._dunstctl("history"))
        items = [{key: value["data"] for key, value in entry.items()} for entry in raw["data"][0]]
        result = []
        for item in sorted(items, key=lambda i: i["id"]):
            urgency, _, _ = item.get("message", "").partition("\n")
            result.append(
                {
                    "id": item["id"],
                    "summary": item["summary"],
                    "body": item["body"],
                    "appname": item["appname"],
                    "urgency": urgency,
                }
            )
        return result

    def logs(self) -> str:
        """The daemons' stderr, for assertion messages."""
        return "\n".join(f"--- {name} ---\n{_tail(path)}" for name, path in self._logs.items())

    def _dunstctl(self, *args: str) -> str:
        proc = subprocess.run(
            ["dunstctl", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"dunstctl {' '.join(args)} failed ({proc.returncode}): "
                f"{proc.stderr.strip()}\n{self.logs()}"
            )
        return proc.stdout


@contextlib.contextmanager
def desktop_session(*, notification_daemon: bool = True) -> Iterator[DesktopSession]:
    """Start Xvfb, a private session bus and (unless told not to) dunst.

    With `notification_daemon=False` the bus is up but nothing owns
    org.freedesktop.Notifications, like a desktop whose notification daemon has died.
    """
    _skip_if_missing()
    with contextlib.ExitStack() as stack:
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sw-desktop-")))
        logs: dict[str, Path] = {}

        def spawn(
            name: str, argv: list[str], env: dict[str, str] | None = None
        ) -> tuple[subprocess.Popen[bytes], int]:
            """Start `argv` in its own process group; returns it and the read end of `{fd}`."""
            read_fd, write_fd = os.pipe()
            stack.callback(_close_quietly, read_fd)
            logs[name] = tmpdir / f"{name}.log"
            argv = [arg.replace("{fd}", str(write_fd)) for arg in argv]
            try:
                with open(logs[name], "wb") as log:
                    proc = subprocess.Popen(
                        argv,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=log,
                        pass_fds=(write_fd,),
                        # Own session and group, so teardown can kill whatever they spawn.
                        start_new_session=True,
                    )
            finally:
                # The child holds its own copy; ours must go so EOF shows up if it dies.
                os.close(write_fd)
            stack.callback(_stop, proc)
            return proc, read_fd

        _, x_fd = spawn(
            "Xvfb", ["Xvfb", "-displayfd", "{fd}", "-nolisten", "tcp", "-screen", "0", "800x600x24"]
        )
        display = ":" + _read_line(x_fd, "Xvfb", logs)

        (tmpdir / "bus.conf").write_text(BUS_CONFIG.format(socket_dir=tmpdir))
        _, bus_fd = spawn(
            "dbus-daemon",
            [
                "dbus-daemon",
                # Not --session: it means the stock config, which dbus-daemon refuses to
                # combine with --config-file; <type>session</type> in BUS_CONFIG stands in.
                "--nofork",
                "--nopidfile",
                f"--config-file={tmpdir / 'bus.conf'}",
                "--print-address={fd}",
            ],
        )
        bus_address = _read_line(bus_fd, "dbus-daemon", logs)

        env = {
            key: value
            for key, value in os.environ.items()
            # A Wayland socket would make dunst ignore DISPLAY; a user bus or config
            # leaking in would make the test depend on the developer's desktop.
            if key not in {"WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY"}
        }
        # Config and runtime dirs in tmp too, so no user-level config (dunst's or a
        # library's) applies and nothing writes into the developer's real runtime dir.
        env |= {
            "DISPLAY": display,
            "DBUS_SESSION_BUS_ADDRESS": bus_address,
            "XDG_CONFIG_HOME": str(tmpdir / "config"),
            "XDG_RUNTIME_DIR": str(tmpdir),
        }
        session = DesktopSession(env, tmpdir, notification_daemon, logs)

        if notification_daemon:
            (tmpdir / "dunstrc").write_text(DUNSTRC)
            dunst, _ = spawn("dunst", ["dunst", "-config", str(tmpdir / "dunstrc")], env)
            session.daemon_pid = dunst.pid
            _wait_for_dunst(session, dunst)
        yield session


def _skip_if_missing() -> None:
    for binary, package in REQUIRED_BINARIES.items():
        if shutil.which(binary) is None:
            pytest.skip(f"{package} not installed ({binary} not on PATH): {INSTALL_HINT}")


def require_client(scheme: str) -> None:
    """Skip unless the Python side of ``scheme`` can load here, naming what to install."""
    modules = {
        # desktop://'s D-Bus client: pure Python, from the desktop extra.
        "desktop": (["jeepney"], "pip install -e '.[desktop]'"),
        # Apprise's dbus:// needs both; without them it silently refuses the URL.
        "dbus": (["dbus", "dbus.mainloop.glib"], f"{INSTALL_HINT}, then pip install -e '.[dbus]'"),
    }
    names, fix = modules[scheme]
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            pytest.skip(f"{scheme}:// cannot load here ({exc}): {fix} in this venv")


def _read_line(fd: int, name: str, logs: dict[str, Path]) -> str:
    """Read the single line Xvfb/dbus-daemon write to their -displayfd/--print-address fd."""
    deadline = time.monotonic() + START_TIMEOUT
    data = b""
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise RuntimeError(f"{name} did not start within {START_TIMEOUT}s\n{_tail(logs[name])}")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError(f"{name} exited during start-up\n{_tail(logs[name])}")
        data += chunk
    return data.decode().strip()


def _wait_for_dunst(session: DesktopSession, dunst: subprocess.Popen[bytes]) -> None:
    """Wait until dunst owns org.freedesktop.Notifications on our bus."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        proc = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply=literal",
                "--dest=org.freedesktop.Notifications",
                "/org/freedesktop/Notifications",
                "org.freedesktop.Notifications.GetServerInformation",
            ],
            env=session.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if proc.returncode == 0 and "dunst" in proc.stdout:
            return
        if dunst.poll() is not None:
            raise RuntimeError(f"dunst exited with {dunst.returncode}\n{session.logs()}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"dunst did not appear on the bus within {START_TIMEOUT}s: "
                f"{proc.stderr.strip()}\n{session.logs()}"
            )
        time.sleep(0.02)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL it if it lingers; always reap."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; children it left in the group (dunst scripts) go too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return
    proc.wait()


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "(no log)"
