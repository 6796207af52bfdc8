"""Running smallwins as a service: a systemd user unit, or a launchd agent on macOS."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
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
    # Uninstalling: run before the file goes, then after it; ``stop`` still stops it when
    # the file is gone.
    disable: list[list[str]]
    forget: list[list[str]]
    stop: list[list[str]]
    # What enabling made besides the file (a systemd .wants link).
    links: list[Path]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a service command did; ``problem`` when the service manager could not be
    reached or refused, with ``later``: the exact commands to run once it can be."""

    done: list[str]
    problem: str | None = None
    later: list[str] = field(default_factory=list)


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
        disable=[["systemctl", "--user", "disable", "--now", UNIT_NAME]],
        forget=[["systemctl", "--user", "daemon-reload"]],
        stop=[["systemctl", "--user", "stop", UNIT_NAME], ["systemctl", "--user", "daemon-reload"]],
        links=[config_home / "systemd" / "user" / "default.target.wants" / UNIT_NAME],
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
        disable=[["launchctl", "unload", "-w", str(path)]],
        forget=[],
        stop=[["launchctl", "remove", AGENT_LABEL]],
        links=[],
    )


def service_file() -> ServiceFile:
    return launchd_agent() if sys.platform == "darwin" else systemd_unit()


def _run(commands: list[list[str]]) -> tuple[str | None, list[str]]:
    """Run ``commands`` in order; at the first that cannot run or fails: why, and the
    commands from it on, to run later."""
    for index, command in enumerate(commands):
        if shutil.which(command[0]) is None:
            problem = f"{command[0]} is not installed here"
        else:
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, check=False, timeout=60
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                problem = f"{shlex.join(command)}: {exc}"
            else:
                if done.returncode == 0:
                    continue
                detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["failed"]
                problem = f"{shlex.join(command)} failed: {detail[0]}"
        return problem, [shlex.join(c) for c in commands[index:]]
    return None, []


def install(service: ServiceFile) -> Outcome:
    """Write the file and enable it."""
    service.path.parent.mkdir(parents=True, exist_ok=True)
    if sys.platform == "darwin":
        (Path.home() / "Library" / "Logs" / "smallwins").mkdir(parents=True, exist_ok=True)
    service.path.write_text(service.text, encoding="utf-8")
    problem, later = _run(service.enable)
    if problem:
        return Outcome([f"Wrote {service.path}"], problem, [*later, service.start])
    return Outcome([f"Wrote {service.path}", "Enabled it: it starts at every login"])


def uninstall(service: ServiceFile) -> Outcome:
    """Stop and disable the service, and remove what ``install`` wrote. Idempotent."""
    links = [link for link in service.links if link.is_symlink()]
    if not service.path.exists() and not links:
        return Outcome([f"Nothing to remove: {service.path} does not exist"])
    done: list[str] = []
    problem, _ = _run(service.disable)
    if problem is None:
        done.append("Stopped and disabled it")
    for path in [*links, service.path]:
        # Whether or not the manager could be told, the files go: the next start of the
        # manager finds no service, and a leftover link would point at nothing.
        if path.is_symlink() or path.exists():
            path.unlink()
            done.append(f"Removed {path}")
    if problem is not None:
        return Outcome(done, problem, [shlex.join(c) for c in service.stop])
    problem, later = _run(service.forget)
    return Outcome(done, problem, later)
