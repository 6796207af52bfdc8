"""The hooks a smallwins plugin can implement. Each is documented in docs/plugin-hooks.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pluggy import HookimplMarker, HookspecMarker

if TYPE_CHECKING:
    from pathlib import Path

    import click

    from smallwins.api.detector import Detector, SourceOffer
    from smallwins.api.rules import Rule

hookspec = HookspecMarker("smallwins")
hookimpl = HookimplMarker("smallwins")


@hookspec
def register_detectors(register: Callable[[type[Detector]], None]) -> None:
    """Register detector classes by calling ``register(DetectorClass)`` for each."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands or groups to the ``smallwins`` command line."""


@hookspec
def register_rules(register: Callable[[Rule], None]) -> None:
    """Register progress rules by calling ``register(rule_instance)`` for each."""


@hookspec
def register_templates(register: Callable[[str, list[dict[str, str]]], None]) -> None:
    """Register the wordings of a kind of moment: ``register(kind, [{"title", "body"}, ...])``."""


@hookspec
def offer_sources(folder: Path, register: Callable[[SourceOffer], None], always_only: bool) -> None:
    """Offer sources that would watch ``folder``: ``register(SourceOffer(...))`` for each.
    With ``always_only`` only offers with ``always`` set are wanted (a config is in use), so
    a plugin may skip looking at the folder."""
