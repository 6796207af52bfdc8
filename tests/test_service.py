"""``service install`` and ``service uninstall`` against a systemctl that is missing, fails,
or works.

The real systemd user manager cannot run here (no user session bus: ``systemctl --user``
fails with "Failed to connect to bus"), so a small shell script stands in for ``systemctl``:
it records each call and does to the ``.wants`` link what ``enable`` and ``disable`` do.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli_run import smallwins

UNIT = "smallwins.service"

WORKING_SYSTEMCTL = """#!/bin/sh
PATH=/usr/bin:/bin
echo "$*" >> "$SYSTEMCTL_LOG"
wants="$XDG_CONFIG_HOME/systemd/user/default.target.wants"
case "$*" in
  "--user enable smallwins.service")
    mkdir -p "$wants" && ln -sf "$XDG_CONFIG_HOME/systemd/user/smallwins.service" "$wants/" ;;
  "--user disable --now smallwins.service") rm -f "$wants/smallwins.service" ;;
esac
"""

FAILING_SYSTEMCTL = """#!/bin/sh
echo "Failed to connect to bus: No medium found" >&2
exit 1
"""


def systemctl_env(tmp_path: Path, systemctl: str | None) -> dict[str, str]:
    """PATH holds only a folder with ``systemctl`` (or nothing): the one thing these
    commands run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if systemctl is not None:
        script = bin_dir / "systemctl"
        script.write_text(systemctl)
        script.chmod(0o755)
    return {
        **os.environ,
        "PATH": str(bin_dir),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "SYSTEMCTL_LOG": str(tmp_path / "systemctl.log"),
    }


def _unit(tmp_path: Path) -> Path:
    return tmp_path / "xdg" / "systemd" / "user" / UNIT


def _calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "systemctl.log"
    return log.read_text().splitlines() if log.exists() else []


def test_install_without_systemctl_says_what_was_written_and_what_to_run(
    home: Path, tmp_path: Path
) -> None:
    done = smallwins("service", "install", env=systemctl_env(tmp_path, None))
    assert done.returncode == 1
    assert done.stdout == f"Wrote {_unit(tmp_path)}\n"
    assert _unit(tmp_path).exists()
    assert done.stderr == (
        "smallwins: could not reach the service manager: systemctl is not installed here\n"
        "Run these once it can be reached:\n"
        "  systemctl --user daemon-reload\n"
        f"  systemctl --user enable {UNIT}\n"
        f"  systemctl --user start {UNIT}\n"
    )


def test_install_when_systemctl_fails_names_its_error_and_the_rest_to_run(
    home: Path, tmp_path: Path
) -> None:
    done = smallwins("service", "install", env=systemctl_env(tmp_path, FAILING_SYSTEMCTL))
    assert done.returncode == 1
    assert f"Wrote {_unit(tmp_path)}" in done.stdout
    assert (
        "systemctl --user daemon-reload failed: Failed to connect to bus: No medium found"
        in done.stderr
    )
    assert f"  systemctl --user enable {UNIT}\n  systemctl --user start {UNIT}\n" in done.stderr


def test_install_then_uninstall_with_a_working_systemctl(home: Path, tmp_path: Path) -> None:
    env = systemctl_env(tmp_path, WORKING_SYSTEMCTL)
    wants = tmp_path / "xdg" / "systemd" / "user" / "default.target.wants" / UNIT
    installed = smallwins("service", "install", env=env)
    assert installed.returncode == 0, installed.stderr
    assert _calls(tmp_path) == ["--user daemon-reload", f"--user enable {UNIT}"]
    assert wants.is_symlink() and _unit(tmp_path).exists()

    removed = smallwins("service", "uninstall", env=env)
    assert removed.returncode == 0, removed.stderr
    assert _calls(tmp_path)[2:] == [f"--user disable --now {UNIT}", "--user daemon-reload"]
    assert not _unit(tmp_path).exists() and not wants.is_symlink()
    assert "Stopped and disabled it" in removed.stdout
    assert f"Removed {_unit(tmp_path)}" in removed.stdout

    again = smallwins("service", "uninstall", env=env)
    assert again.returncode == 0
    assert again.stdout == f"Nothing to remove: {_unit(tmp_path)} does not exist\n"
    assert len(_calls(tmp_path)) == 4  # nothing was asked of systemctl


def test_uninstall_without_systemctl_removes_the_files_and_says_what_to_run(
    home: Path, tmp_path: Path
) -> None:
    assert (
        smallwins("service", "install", env=systemctl_env(tmp_path, WORKING_SYSTEMCTL)).returncode
        == 0
    )
    (tmp_path / "bin" / "systemctl").unlink()
    wants = tmp_path / "xdg" / "systemd" / "user" / "default.target.wants" / UNIT
    done = smallwins("service", "uninstall", env=systemctl_env(tmp_path, None))
    assert done.returncode == 1
    assert not _unit(tmp_path).exists() and not wants.is_symlink()
    assert f"Removed {wants}\nRemoved {_unit(tmp_path)}\n" == done.stdout
    assert done.stderr.endswith(
        f"Run these once it can be reached:\n  systemctl --user stop {UNIT}\n"
        "  systemctl --user daemon-reload\n"
    )
    again = smallwins("service", "uninstall", env=systemctl_env(tmp_path, None))
    assert again.returncode == 0 and "Nothing to remove" in again.stdout
