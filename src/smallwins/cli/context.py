"""What every command shares, built once per run and only as far as the command needs it:
the paths, the config, the plugins, the sources and the ledger."""

from __future__ import annotations

import logging
import os
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from zoneinfo import ZoneInfo

import click

from smallwins.errors import SmallwinsError
from smallwins.paths import Paths, resolve_paths

if TYPE_CHECKING:
    from smallwins.api.detector import Detector
    from smallwins.api.host import Recorded
    from smallwins.api.moment import Moment
    from smallwins.coach.coach import Coach
    from smallwins.config import Config
    from smallwins.ledger import Ledger
    from smallwins.plugins.loader import Plugins
    from smallwins.plugins.source import Source


def fail(error: SmallwinsError) -> NoReturn:
    click.echo(f"smallwins: {error}", err=True)
    if error.exit_code in (75, 78) and os.environ.get("SMALLWINS_SUPERVISOR") == "launchd":
        # launchd cannot be told "do not restart on 75 or 78" as systemd can; exiting 0
        # keeps it from restarting a daemon that would fail the same way every 5 seconds.
        click.echo("smallwins: exiting 0 so that launchd does not restart it", err=True)
        sys.exit(0)
    sys.exit(error.exit_code)


def setup_logging(level: str) -> None:
    from smallwins.redact import REDACTOR

    handler = logging.StreamHandler(sys.stderr)
    # journald stamps each line itself; a terminal needs the time.
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not os.environ.get("JOURNAL_STREAM"):
        fmt = "%(asctime)s " + fmt
    handler.setFormatter(logging.Formatter(fmt, datefmt="%H:%M:%S"))
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class Context:
    """The command line's view of one smallwins: an error in any part exits with its code
    and one readable line. It is the ``Host`` that plugins' commands ask (``smallwins.host``)."""

    def __init__(self, cwd: Path | None = None) -> None:
        self.cwd = cwd or Path.cwd()

    def adopt(self, config: Config, plugins: Plugins) -> None:
        """Take the config and plugins already loaded (to find a plugin's command), so that
        the command does not load them again."""
        self.__dict__["config"] = config
        self.__dict__["plugins"] = plugins

    @cached_property
    def paths(self) -> Paths:
        return resolve_paths()

    @cached_property
    def config(self) -> Config:
        from smallwins.config import load_config

        try:
            return load_config(self.paths.config_file)
        except SmallwinsError as exc:
            fail(exc)

    @cached_property
    def plugins(self) -> Plugins:
        from smallwins.plugins.loader import load_plugins

        settings = self.config.settings
        return load_plugins(settings.plugins_dir, settings.disabled_plugins)

    @cached_property
    def sources(self) -> list[Source]:
        """The configured sources; with no config file, what the detectors offer for the
        folder smallwins was started in."""
        from smallwins.plugins.source import configured_sources

        try:
            return configured_sources(self.config, self.plugins, self.cwd)
        except SmallwinsError as exc:
            fail(exc)

    def problems(self, storage: Path | None = None) -> tuple[list[str], list[str]]:
        """What the config's keys do not show: (errors, warnings). Errors exit 78: a plugin
        that failed to load or was refused, a notification URL that is wrong. A known URL
        scheme whose library is missing here only warns, with the install hint."""
        from smallwins.delivery.notify import Notifier

        errors = [f"plugin {f.plugin}: {f.message}" for f in self.plugins.failures]
        if errors:
            errors.append("fix the plugin, or skip it with disabled_plugins in the config")
        from smallwins.plugins.source import inbox_problem

        inbox = inbox_problem(self.config.settings.inbox, self.sources)
        if inbox:
            errors.append(str(self.config.error(("inbox", "source"), inbox)))
        urls = self.config.settings.notify.urls
        notifier = Notifier(urls, storage=storage)
        found = notifier.prepare()
        warnings = []
        for index, target in enumerate(urls):
            if target.name not in notifier.invalid:
                if target.name in found:
                    warnings.append(f"notify target {target.name}: {found[target.name]}")
                continue
            errors.append(str(self.config.error(("notify", "urls", index), found[target.name])))
        return errors, warnings

    @property
    def ledger_url(self) -> str:
        from smallwins.config import ledger_url

        return ledger_url(self.paths, self.config)

    def open_ledger(self, *, readonly: bool = False) -> Ledger:
        """The configured ledger; for reading, LedgerNotFound before anything was recorded.
        A ledger that cannot be opened (a server that refuses the password) exits with its
        code and one line."""
        from smallwins.ledger import LedgerNotFound, open_ledger

        try:
            return open_ledger(self.ledger_url, readonly=readonly)
        except LedgerNotFound:
            raise
        except SmallwinsError as exc:
            fail(exc)

    def coach(self) -> Coach:
        """The coach as the daemon builds it: the config's goals, the plugins' rules and
        wordings, the config's wordings over theirs."""
        from smallwins.coach.coach import build_coach

        plugins = self.plugins
        return build_coach(self.config.settings, self.sources, plugins.rules, plugins.templates)

    # -- what plugins' commands ask (smallwins.Host) ---------------------------------------

    def _source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise SmallwinsError(f"no source {name!r} (the sources: {known})")

    def source(self, name: str) -> Detector:
        return self._source(name).detector

    def zone(self) -> ZoneInfo:
        return self.config.settings.zone()

    def scanned(self, name: str) -> bool:
        from smallwins.ledger import LedgerNotFound

        try:
            with self.open_ledger(readonly=True) as ledger:
                return ledger.cursor(name) is not None
        except LedgerNotFound:
            return False

    def scan_now(self, name: str) -> Recorded:
        from datetime import UTC, datetime

        from smallwins.api.host import Recorded
        from smallwins.coach.pipeline import Pipeline
        from smallwins.delivery.notify import Notifier

        source = self._source(name)
        notifier = Notifier(self.config.settings.notify.urls)
        told: list[tuple[str, str]] = []

        def targets_for(moment: Moment) -> list[str]:
            told.append((moment.title, moment.message))
            return notifier.names_for(moment.category) if moment.deliver else []

        with self.open_ledger() as ledger:
            pipeline = Pipeline(ledger, self.coach(), targets_for)
            now = datetime.now(UTC)
            pipeline.load(now)
            result, new = pipeline.scan(source, now=now)
            ledger.note_scan(
                name, source.detector_name, error=None, problems=[str(p) for p in result.problems]
            )
        return Recorded(len(new), told, result.problems)


pass_context = click.make_pass_decorator(Context, ensure=True)
