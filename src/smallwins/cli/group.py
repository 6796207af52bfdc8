"""The ``smallwins`` group: its own commands, and those plugins add on demand."""

from __future__ import annotations

import click

from smallwins.errors import SmallwinsError
from smallwins.paths import resolve_paths


class Group(click.Group):
    """Lets plugins add commands through the ``register_commands`` hook, loaded on demand."""

    _loaded = False
    # Why the plugins' commands could not be loaded: said when a command is not found.
    _config_error: SmallwinsError | None = None

    def _load_plugin_commands(self, ctx: click.Context) -> None:
        if self._loaded:
            return
        self._loaded = True
        from smallwins.cli.context import Context
        from smallwins.config import load_config as load
        from smallwins.plugins.loader import call_each
        from smallwins.plugins.loader import load_plugins as load_all

        try:
            config = load(resolve_paths().config_file)
        except SmallwinsError as exc:
            self._config_error = exc  # commands that need the config report it themselves
            return
        settings = config.settings
        plugins = load_all(settings.plugins_dir, settings.disabled_plugins)
        call_each(plugins, "register_commands", lambda _: {"cli": self})
        # The command then runs with these: loading the plugins is most of a short command.
        ctx.ensure_object(Context).adopt(config, plugins)

    def invoke(self, ctx: click.Context) -> object:
        from smallwins.api.host import HOST_KEY
        from smallwins.cli.context import Context

        ctx.meta[HOST_KEY] = ctx.ensure_object(Context)
        return super().invoke(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._load_plugin_commands(ctx)
            command = super().get_command(ctx, cmd_name)
        if command is None and self._config_error is not None:
            from smallwins.cli.context import fail

            # It may be a plugin's command, which the config's error keeps from loading.
            fail(self._config_error)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands(ctx)
        return super().list_commands(ctx)


@click.group(cls=Group)
@click.version_option(package_name="smallwins")
def cli() -> None:
    """smallwins notices your small wins where your progress already leaves traces
    (git commits, meditation exports, calendars) and celebrates them.

    Config: $SMALLWINS_CONFIG, else the platform's config folder (see `smallwins status`).
    $SMALLWINS_HOME keeps config, ledger and state under one folder.
    """
