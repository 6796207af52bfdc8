"""The journal: wins a person writes down, one a line in a plain text file.

``smallwins done "text"`` appends a line and records it at once; a line written in an
editor or synced from another machine counts when the daemon reads the file. An edited line
revises its win, a deleted line takes it back. There is always a source ``journal`` (the
file journal.md in the data folder) unless the config names one so.

The parts: lines.py (the format), detector.py (the detector), when.py (reading ``--at``)
and commands.py (``done`` and ``undo``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from smallwins import Detector, SourceOffer, hookimpl

from .detector import JournalDetector, JournalOptions

__all__ = ["JournalDetector", "JournalOptions"]


@hookimpl
def register_detectors(register: Callable[[type[Detector]], None]) -> None:
    register(JournalDetector)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .commands import done, undo

    cli.add_command(done)
    cli.add_command(undo)


@hookimpl
def offer_sources(folder: Path, register: Callable[[SourceOffer], None]) -> None:
    """The journal is always there: wins written by `smallwins done` or by hand."""
    says = "wins you write down (smallwins done, or a line in journal.md in the data folder)"
    register(SourceOffer("journal", "journal", {}, says=says, here=False, always=True))
