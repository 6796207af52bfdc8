"""desktop:// from the command line, where no desktop is needed: what init and the no-config
start propose, what `notify test` says with no session bus, and what stays unimported.

The round trip to a real notification daemon is in tests/test_desktop.py."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from smallwins.redact import secret_parts
from tests.cli_run import smallwins

pytest.importorskip("jeepney", reason="desktop://'s client: pip install -e '.[desktop]'")


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def no_bus_env(**extra: str) -> dict[str, str]:
    """As under cron or a system service: no session bus address at all."""
    return {k: v for k, v in env(**extra).items() if k != "DBUS_SESSION_BUS_ADDRESS"}


def test_init_proposes_desktop(home: Path, tmp_path: Path) -> None:
    done = smallwins("init", cwd=tmp_path, env=env())
    assert done.returncode == 0, done.stderr
    assert "  desktop notifier: desktop://\n" in done.stdout
    assert tomllib.loads((home / "config.toml").read_text())["notify"]["urls"] == ["desktop://"]
    assert smallwins("check-config", env=env()).returncode == 0


def test_the_no_config_start_proposes_desktop(home: Path, tmp_path: Path) -> None:
    done = smallwins("run", "--once", cwd=tmp_path, env=env())
    assert done.returncode == 0, done.stderr
    assert 'for desktop notifications: `smallwins init` writes urls = ["desktop://"]' in (
        done.stderr
    )


def test_notify_test_without_a_session_bus_says_so_in_one_line(home: Path) -> None:
    (home / "config.toml").write_text('[notify]\nurls = ["desktop://"]\n')
    done = smallwins("notify", "test", env=no_bus_env())
    assert done.returncode == 1
    assert done.stderr == ""
    assert done.stdout.splitlines() == [
        "target-1 (desktop://): FAILED: no desktop session bus here "
        "(DBUS_SESSION_BUS_ADDRESS is not set): run smallwins inside your graphical login, "
        "or as its systemd user service"
    ]


def test_notify_test_with_a_stale_bus_address_names_it(home: Path, tmp_path: Path) -> None:
    gone = tmp_path / "bus-socket-that-is-gone"
    (home / "config.toml").write_text('[notify]\nurls = ["desktop://"]\n')
    done = smallwins(
        "notify", "test", env=env(DBUS_SESSION_BUS_ADDRESS=f"unix:path={gone}"), timeout=30
    )
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"target-1 (desktop://): FAILED: cannot reach the session bus at unix:path={gone}: "
        "No such file or directory"
    ]


def test_checking_a_desktop_config_loads_no_dbus_client_nor_all_of_apprise(home: Path) -> None:
    # check-config builds the Apprise object; the D-Bus client waits until a message is sent,
    # and Apprise's ~470 plugin modules are not loaded for a scheme that is not theirs.
    (home / "config.toml").write_text('[notify]\nurls = ["desktop://"]\n')
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "smallwins", "check-config"],
        capture_output=True,
        text=True,
        env=env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "1 notification targets" in done.stdout
    imported = set(re.findall(r"\|\s+(\S+)$", done.stderr, re.M))
    assert "smallwins.delivery.desktop" in imported
    assert {name.split(".")[0] for name in imported} & {"jeepney", "dbus"} == set()
    apprise_plugins = {name for name in imported if name.startswith("apprise.plugins.")}
    assert apprise_plugins <= {"apprise.plugins.base"}, sorted(apprise_plugins)


def test_a_bare_scheme_is_not_a_secret() -> None:
    # A URL that is all scheme names the target; masking it made messages read "**** cannot
    # load here". The parts after a scheme still count.
    assert secret_parts("desktop://") == set()
    assert secret_parts("dbus://") == set()
    assert "ntfy://a-long-topic-name" in secret_parts("ntfy://a-long-topic-name")


def test_dbus_without_dbus_python_points_to_desktop(home: Path) -> None:
    if importlib.util.find_spec("dbus") is not None:
        pytest.skip("dbus-python is installed here, so dbus:// loads")
    (home / "config.toml").write_text('[notify]\nurls = ["dbus://"]\n')
    done = smallwins("notify", "test", env=env())
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "target-1 (dbus://): FAILED: dbus:// cannot load here: dbus-python is missing; "
        "use desktop:// instead: pip install 'smallwins[desktop]' (wheels only)"
    ]
