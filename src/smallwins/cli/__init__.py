"""The ``smallwins`` command line: a thin layer over the library, one module per noun.
Heavy imports (Apprise, detectors) stay inside the commands that need them."""

from smallwins.cli import coach, config, daemon, ledger, plugins, service
from smallwins.cli.group import cli

__all__ = ["cli", "coach", "config", "daemon", "ledger", "main", "plugins", "service"]


def main() -> None:
    cli(prog_name="smallwins")
