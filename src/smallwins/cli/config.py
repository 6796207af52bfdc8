"""Writing and checking the config: ``init`` and ``check-config``."""

from __future__ import annotations

import logging
import sys

import click

from smallwins.cli.context import Context, pass_context
from smallwins.cli.group import cli


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@pass_context
def init(context: Context, force: bool) -> None:
    """Write a commented starter config: what the detectors find here (for git: the
    repository and your email), and the desktop notifier."""
    from smallwins.paths import write_private
    from smallwins.plugins import starter

    target = context.paths.config_file
    if target.exists() and not force:
        click.echo(f"{target} already exists; `smallwins init --force` overwrites it.", err=True)
        sys.exit(1)
    found = starter.find(context.cwd, context.plugins)
    write_private(target, starter.render(found))
    click.echo(f"Wrote {target}")
    for offer in found.offers:
        guess = "" if offer.here else " (nothing found here: a guess to edit)"
        click.echo(f"  [sources.{offer.name}]: {offer.says}{guess}")
    desktop = found.desktop_url or "none loads here; pip install 'smallwins[desktop]'"
    click.echo(f"  desktop notifier: {desktop}")
    click.echo(
        "Next: `smallwins check-config`, then `smallwins run` or `smallwins service install`."
    )


@cli.command(name="check-config")
@pass_context
def check_config(context: Context) -> None:
    """Validate the config; exit 0 when it is good, 78 when not."""
    from smallwins.config import load_config
    from smallwins.errors import ConfigError

    path = context.paths.config_file
    try:
        config = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"smallwins: {problem}", err=True)
        sys.exit(exc.exit_code)
    # Each plugin that failed is an error below; the loader's log line would say it twice.
    logging.getLogger("smallwins.plugins").addHandler(logging.NullHandler())
    sources = context.sources if config.exists else []
    errors, warnings = context.problems()
    for error in errors:
        click.echo(f"smallwins: {error}", err=True)
    for warning in [*config.warnings, *warnings]:
        click.echo(f"warning: {warning}", err=True)
    if errors:
        sys.exit(ConfigError.exit_code)
    if not config.exists:
        click.echo(f"{path} does not exist: the defaults apply (smallwins init).")
        return
    click.echo(
        f"{path}: ok, {len(sources)} sources, {len(config.settings.notify.urls)} notification "
        "targets"
    )
