"""Running as a background service: ``service install``."""

from __future__ import annotations

import click

from smallwins.cli.group import cli


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
    problems = install(unit)
    click.echo(f"Wrote {unit.path}")
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    click.echo(f"Start it:   {unit.start}")
    click.echo(f"Read logs:  {unit.logs}")
