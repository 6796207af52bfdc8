"""The starter config that ``smallwins init`` writes: what it can find out, commented."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from smallwins.config import system_timezone


@dataclass(slots=True)
class Findings:
    email: str | None = None
    repos: list[str] = field(default_factory=list)
    desktop_url: str | None = None
    timezone: str = "UTC"


def _git(*args: str, cwd: Path | None = None) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def repository_root(path: Path) -> Path | None:
    """The work tree that holds ``path``, or None."""
    top = _git("rev-parse", "--show-toplevel", cwd=path)
    return Path(top) if top else None


def _tilde(path: Path) -> str:
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


def nearby_repositories(cwd: Path) -> list[str]:
    """The repository we are in, or a folder of repositories around us, as config globs."""
    here = repository_root(cwd)
    if here is not None:
        siblings = [p for p in here.parent.iterdir() if (p / ".git").exists()]
        if len(siblings) > 1:
            return [_tilde(here.parent) + "/*"]
        return [_tilde(here)]
    children = [p for p in cwd.iterdir() if (p / ".git").exists()] if cwd.is_dir() else []
    return [_tilde(cwd) + "/*"] if children else []


def desktop_url() -> str | None:
    """A desktop notifier URL that can load here, or None."""
    import importlib.util

    if importlib.util.find_spec("dbus") is not None:
        return "dbus://"
    if importlib.util.find_spec("gi") is not None:
        return "glib://"
    return None


def find(cwd: Path) -> Findings:
    return Findings(
        email=_git("config", "user.email", cwd=cwd),
        repos=nearby_repositories(cwd),
        desktop_url=desktop_url(),
        timezone=system_timezone().key,
    )


def render(found: Findings) -> str:
    """The starter file. tomli-w writes the values (so quoting is right); comments are ours."""
    top = tomli_w.dumps({"timezone": found.timezone, "day_starts_at": "04:00"})
    urls = [found.desktop_url] if found.desktop_url else []
    notify = tomli_w.dumps({"urls": urls})
    parts = [
        "# smallwins configuration: every key is described in docs/configuration.md.",
        "# A running daemon reloads this file when it changes (or on SIGHUP).",
        "",
        "# Your time zone, and when your day starts: a commit at 00:30 counts for the day before.",
        top,
        "# Where wins are kept; the default is ledger.sqlite3 in smallwins's data folder.",
        "# [ledger]",
        '# url = "sqlite:///~/Sync/smallwins/ledger.sqlite3"',
        "",
        "[notify]",
        "# Apprise URLs, one per place to be told: the desktop (dbus://), your phone",
        "# (ntfy://your-topic), Telegram, email... see docs/notifications.md.",
        "# With none, celebrations print in the daemon's terminal.",
    ]
    if not found.desktop_url:
        parts.append(
            "# Desktop notifications need: pip install 'smallwins[desktop]', then add \"dbus://\"."
        )
    parts += [
        notify.rstrip(),
        "# Messages wait during quiet hours; they are not dropped.",
        '# quiet_hours = "22:00-07:30"',
        "",
        "# Each [sources.NAME] table is one place where your progress leaves traces.",
        "[sources.code]",
        'detector = "git"',
    ]
    code: dict[str, object] = {"repos": found.repos or ["~/src/*"]}
    if found.email:
        code["authors"] = [found.email]
    parts.append("# Globs of git work trees; every local branch counts.")
    parts.append(tomli_w.dumps({"repos": code["repos"]}).rstrip())
    if "authors" in code:
        parts.append("# Whose commits count (default: each repository's git config user.email).")
        parts.append(tomli_w.dumps({"authors": code["authors"]}).rstrip())
    parts.append("")
    return "\n".join(parts)
