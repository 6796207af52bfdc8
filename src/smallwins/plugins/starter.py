"""The starter config that ``smallwins init`` writes: what the detectors offer, commented."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from smallwins.api.detector import SourceOffer
from smallwins.config import system_timezone
from smallwins.plugins.loader import Plugins, offers


@dataclass(slots=True)
class Findings:
    offers: list[SourceOffer] = field(default_factory=list)
    desktop_url: str | None = None
    timezone: str = "UTC"


def desktop_url() -> str | None:
    """A desktop notifier URL that can load here, or None.

    desktop:// first: it installs from wheels, where dbus:// and glib:// need libraries built
    against system headers. Found without importing any of them."""
    import importlib.util
    import sys

    if sys.platform in ("darwin", "win32"):
        return None  # no session D-Bus there; Apprise's macosx:// and windows:// serve them
    for module, url in (("jeepney", "desktop://"), ("dbus", "dbus://"), ("gi", "glib://")):
        if importlib.util.find_spec(module) is not None:
            return url
    return None


def find(cwd: Path, plugins: Plugins) -> Findings:
    return Findings(
        offers=offers(plugins, cwd),
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
        "# Apprise URLs, one per place to be told: the desktop (desktop://), your phone",
        "# (ntfy://your-topic), Telegram, email... see docs/notifications.md.",
        "# With none, celebrations print in the daemon's terminal.",
    ]
    if not found.desktop_url:
        parts.append(
            "# Desktop notifications need: pip install 'smallwins[desktop]', then add "
            '"desktop://".'
        )
    parts += [
        notify.rstrip(),
        "# Coaching (setbacks, gains, digests) and wins you did not just make wait for the end",
        '# of quiet hours; they are not dropped. quiet_hours_hold = "all" holds every message.',
        'quiet_hours = "22:00-07:30"',
        "",
        "# Each [sources.NAME] table is one place where your progress leaves traces.",
    ]
    for offer in found.offers:
        if offer.always:
            parts.append(f"# [sources.{offer.name}] is there without a table here: {offer.says}.")
            parts.append(
                f"# A [sources.{offer.name}] table redefines it; enabled = false drops it."
            )
            parts.append("")
            continue
        parts += [f"[sources.{offer.name}]", tomli_w.dumps({"detector": offer.detector}).rstrip()]
        for key, value in offer.options.items():
            if offer.comments.get(key):
                parts.append(f"# {offer.comments[key]}")
            parts.append(tomli_w.dumps({key: value}).rstrip())
        parts.append("")
    if not found.offers:
        parts.append("# None found here: see docs/sources/ for each detector's keys.")
        parts.append("")
    return "\n".join(parts)
