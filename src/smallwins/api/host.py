"""What a plugin's command may ask of the smallwins it runs in (``register_commands``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from smallwins.api.detector import Detector, Problem
from smallwins.errors import SmallwinsError

HOST_KEY = "smallwins.host"


@dataclass(frozen=True, slots=True)
class Recorded:
    """What ``Host.scan_now`` did: the new wins' number, what it told (title and message of
    each moment, in order) and the records its detector skipped."""

    new: int
    told: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class Host(Protocol):
    """The command line's smallwins: its sources and its ledger, as the daemon sees them."""

    def source(self, name: str) -> Detector:
        """The detector of the configured source ``name``; a SmallwinsError naming the known
        sources when there is none."""

    def zone(self) -> ZoneInfo:
        """The user's time zone (the config's ``timezone``)."""

    def scanned(self, name: str) -> bool:
        """Whether the source ``name`` was ever scanned (a first scan's wins are history)."""

    def scan_now(self, name: str) -> Recorded:
        """Scan the source ``name`` here and now and record what it found with what the
        coach makes of it, in one ledger transaction; a running daemon delivers it."""


def host() -> Host:
    """The smallwins a command registered by ``register_commands`` runs in."""
    import click

    context = click.get_current_context(silent=True)
    found = context.meta.get(HOST_KEY) if context is not None else None
    if found is None:
        raise SmallwinsError("no smallwins command is running (host() is for a command's body)")
    return found  # type: ignore[no-any-return]


def data_folder() -> Path:
    """The folder where smallwins keeps its data (the ledger; a plugin's own files)."""
    from smallwins.paths import resolve_paths

    return resolve_paths().data_dir
