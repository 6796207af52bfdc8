"""The ``smallwins`` command line: a thin layer over the library, one module per noun.
Heavy imports (Apprise, detectors) stay inside the commands that need them."""

from smallwins.cli import coach, config, daemon, experiment, ledger, plugins, report, service
from smallwins.cli.group import cli
from smallwins.cli.terminal import guard_streams

__all__ = [
    "cli",
    "coach",
    "config",
    "daemon",
    "experiment",
    "ledger",
    "main",
    "plugins",
    "report",
    "service",
]


def main() -> None:
    guard_streams()
    cli(prog_name="smallwins")
