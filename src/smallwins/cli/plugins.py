"""Plugins and notification targets: ``plugins`` and ``notify test``."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from smallwins.cli.context import Context, pass_context
from smallwins.cli.group import cli
from smallwins.errors import ConfigError


@cli.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_context
def plugins_command(context: Context, as_json: bool) -> None:
    """Installed plugins, their detectors and their rules."""
    plugins = context.plugins
    rows: list[dict[str, Any]] = []
    for name in plugins.plugin_names():
        detectors = sorted(d for d, owner in plugins.detector_plugin.items() if owner == name)
        rules = [rule.split(":", 1)[1] for rule, _ in plugins.rules if rule.startswith(f"{name}:")]
        rows.append({"name": name, "detectors": detectors, "rules": rules, "error": None})
    for failure in plugins.failures:
        rows.append(
            {"name": failure.plugin, "detectors": [], "rules": [], "error": failure.message}
        )
    if as_json:
        click.echo(json.dumps(rows, indent=1))
    else:
        _print_plugins(rows)
    if plugins.failures:
        sys.exit(ConfigError.exit_code)


def _print_plugins(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if row["error"]:
            click.echo(f"{row['name']}: FAILED: {row['error']}")
            continue
        parts = [f"detectors {', '.join(row['detectors'])}"] if row["detectors"] else []
        parts += [f"rules {', '.join(row['rules'])}"] if row["rules"] else []
        click.echo(f"{row['name']}: {'; '.join(parts) or 'hooks only'}")


@cli.group()
def notify() -> None:
    """Notification targets."""


@notify.command(name="test")
@pass_context
def notify_test(context: Context) -> None:
    """Send one test message to every configured URL and report each result."""
    from smallwins.delivery.notify import send_one
    from smallwins.redact import REDACTOR

    paths, config = context.paths, context.config
    targets = config.settings.notify.urls
    if not targets:
        click.echo(
            f"No notification URLs in {paths.config_file}: celebrations print in the daemon's "
            "terminal. Add [notify] urls (see docs/notifications.md) or run `smallwins init`."
        )
        return
    failed = 0
    for target in targets:
        url = target.url.get_secret_value()
        ok, error = send_one(
            url,
            "🎉 smallwins test",
            "If you can read this, smallwins can reach you here.",
            "success",
            timeout=config.settings.notify.send_timeout_seconds,
        )
        scheme = url.split("://", 1)[0]
        if ok:
            click.echo(f"{target.name} ({scheme}://): ok")
        else:
            failed += 1
            click.echo(f"{target.name} ({scheme}://): FAILED: {REDACTOR.redact(error or '')}")
    sys.exit(1 if failed else 0)
