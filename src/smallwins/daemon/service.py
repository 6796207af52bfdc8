"""Running smallwins as a service: a systemd user unit, or a launchd agent on macOS."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

UNIT_NAME = "smallwins.service"
AGENT_LABEL = "io.smallwins.daemon"
PASSED_ENV = ("SMALLWINS_HOME", "SMALLWINS_CONFIG", "SMALLWINS_LOAD_PLUGINS")


@dataclass(frozen=True, slots=True)
class ServiceFile:
    path: Path
    text: str
    start: str
    logs: str
    enable: list[list[str]]


def _command() -> list[str]:
    return [sys.executable, "-m", "smallwins", "run"]


def _env() -> dict[str, str]:
    return {name: os.environ[name] for name in PASSED_ENV if os.environ.get(name)}


def systemd_unit() -> ServiceFile:
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    lines = [
        "[Unit]",
        "Description=smallwins: notices your small wins and celebrates them",
        "Documentation=https://pypi.org/project/smallwins/",
        "",
        "[Service]",
        "Type=notify",
        "NotifyAccess=main",
        f"ExecStart={shlex.join(_command())}",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "RestartSec=5",
        # 75: another daemon holds the lock; 78: the config is invalid. Retrying cannot help.
        "RestartPreventExitStatus=75 78",
        "WatchdogSec=60",
        "TimeoutStopSec=15",
        "Environment=PYTHONUNBUFFERED=1",
    ]
    lines += [f"Environment={shlex.quote(f'{k}={v}')}" for k, v in _env().items()]
    lines += ["", "[Install]", "WantedBy=default.target", ""]
    return ServiceFile(
        path=config_home / "systemd" / "user" / UNIT_NAME,
        text="\n".join(lines),
        start=f"systemctl --user start {UNIT_NAME}",
        logs=f"journalctl --user -u {UNIT_NAME} -f",
        enable=[
            ["systemctl", "--user", "daemon-reload"],
            ["systemctl", "--user", "enable", UNIT_NAME],
        ],
    )


def launchd_agent() -> ServiceFile:
    log_dir = Path.home() / "Library" / "Logs" / "smallwins"
    args = "".join(f"\n        <string>{escape(part)}</string>" for part in _command())
    env = "".join(
        f"\n        <key>{escape(k)}</key><string>{escape(v)}</string>" for k, v in _env().items()
    )
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>Label</key><string>{AGENT_LABEL}</string>
    <key>ProgramArguments</key>
    <array>{args}
    </array>
    <key>EnvironmentVariables</key>
    <dict>
        <key>PYTHONUNBUFFERED</key><string>1</string>
        <key>SMALLWINS_SUPERVISOR</key><string>launchd</string>{env}
    </dict>
    <key>RunAtLoad</key><true/>
    <key>KeepAlive</key>
    <dict><key>SuccessfulExit</key><false/></dict>
    <key>ThrottleInterval</key><integer>5</integer>
    <key>StandardOutPath</key><string>{escape(str(log_dir / "smallwins.log"))}</string>
    <key>StandardErrorPath</key><string>{escape(str(log_dir / "smallwins.log"))}</string>
</dict>
</plist>
"""
    path = Path.home() / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
    return ServiceFile(
        path=path,
        text=text,
        start=f"launchctl kickstart gui/{os.getuid()}/{AGENT_LABEL}",
        logs=f"tail -f {log_dir / 'smallwins.log'}",
        enable=[["launchctl", "load", "-w", str(path)]],
    )


def service_file() -> ServiceFile:
    return launchd_agent() if sys.platform == "darwin" else systemd_unit()


def install(service: ServiceFile) -> list[str]:
    """Write the file and enable it; returns the problems met while enabling."""
    service.path.parent.mkdir(parents=True, exist_ok=True)
    if sys.platform == "darwin":
        (Path.home() / "Library" / "Logs" / "smallwins").mkdir(parents=True, exist_ok=True)
    service.path.write_text(service.text, encoding="utf-8")
    problems = []
    for command in service.enable:
        if shutil.which(command[0]) is None:
            problems.append(f"{command[0]} is not installed; run later: {shlex.join(command)}")
            break
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            detail = done.stderr.strip().splitlines()[-1:] or ["failed"]
            problems.append(f"{shlex.join(command)}: {detail[0]}")
            break
    return problems
