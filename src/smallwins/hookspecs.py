"""The hooks a smallwins plugin can implement. Each is documented in docs/plugin-hooks.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pluggy import HookimplMarker, HookspecMarker

if TYPE_CHECKING:
    import click

    from smallwins.detector import Detector

hookspec = HookspecMarker("smallwins")
hookimpl = HookimplMarker("smallwins")


@hookspec
def register_detectors(register: Callable[[type[Detector]], None]) -> None:
    """Register detector classes by calling ``register(DetectorClass)`` for each."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands or groups to the ``smallwins`` command line."""
