"""The ``smallwins`` group: its own commands, and those plugins add on demand."""

from __future__ import annotations

import click

from smallwins.errors import SmallwinsError
from smallwins.paths import resolve_paths


class Group(click.Group):
    """Lets plugins add commands through the ``register_commands`` hook, loaded on demand."""

    _loaded = False

    def _load_plugin_commands(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        from smallwins.config import load_config as load
        from smallwins.plugins.loader import call_each
        from smallwins.plugins.loader import load_plugins as load_all

        try:
            settings = load(resolve_paths().config_file).settings
        except SmallwinsError:
            return  # commands that need the config report the error themselves
        plugins = load_all(settings.plugins_dir, settings.disabled_plugins)
        call_each(plugins, "register_commands", lambda _: {"cli": self})

    def invoke(self, ctx: click.Context) -> object:
        from smallwins.api.host import HOST_KEY
        from smallwins.cli.context import Context

        ctx.meta[HOST_KEY] = ctx.ensure_object(Context)
        return super().invoke(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._load_plugin_commands()
            command = super().get_command(ctx, cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return super().list_commands(ctx)


@click.group(cls=Group)
@click.version_option(package_name="smallwins")
def cli() -> None:
    """smallwins notices your small wins where your progress already leaves traces
    (git commits, meditation exports, calendars) and celebrates them.

    Config: $SMALLWINS_CONFIG, else the platform's config folder (see `smallwins status`).
    $SMALLWINS_HOME keeps config, ledger and state under one folder.
    """
