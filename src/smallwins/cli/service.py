"""Running as a background service: ``service install`` and ``service uninstall``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from smallwins.cli.group import cli

if TYPE_CHECKING:
    from smallwins.daemon.service import Outcome


@cli.group()
def service() -> None:
    """Run smallwins as a background service."""


@service.command(name="install")
@click.option("--print", "print_only", is_flag=True, help="Show the unit; write nothing.")
def service_install(print_only: bool) -> None:
    """Write and enable a systemd user unit (a launchd agent on macOS)."""
    from smallwins.daemon.service import install, service_file

    unit = service_file()
    if print_only:
        click.echo(unit.text, nl=False)
        return
    outcome = install(unit)
    _report(outcome)
    click.echo(f"Start it:   {unit.start}")
    click.echo(f"Read logs:  {unit.logs}")


@service.command(name="uninstall")
def service_uninstall() -> None:
    """Stop and disable the service, and remove the unit (or agent) that install wrote.
    Running it again does nothing."""
    from smallwins.daemon.service import service_file, uninstall

    _report(uninstall(service_file()))


def _report(outcome: Outcome) -> None:
    for line in outcome.done:
        click.echo(line)
    if outcome.problem is None:
        return
    click.echo(f"smallwins: could not reach the service manager: {outcome.problem}", err=True)
    click.echo("Run these once it can be reached:", err=True)
    for command in outcome.later:
        click.echo(f"  {command}", err=True)
    sys.exit(1)
