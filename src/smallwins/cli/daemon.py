"""Running the daemon: ``run``."""

from __future__ import annotations

import gc
import logging
import signal
import sys
from typing import TYPE_CHECKING

import click

from smallwins.cli.context import Context, fail, pass_context, setup_logging
from smallwins.cli.group import cli
from smallwins.errors import ConfigError, SmallwinsError

if TYPE_CHECKING:
    from smallwins.config import Config
    from smallwins.plugins.source import Source


@cli.command()
@click.option(
    "--once",
    is_flag=True,
    help="Scan every source (a file still being written is waited for, up to 5 s), deliver "
    "what is due, and exit.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log each scan (DEBUG).")
@pass_context
def run(context: Context, once: bool, verbose: bool) -> None:
    """Run the daemon in the foreground: watch, record wins, celebrate."""
    import asyncio

    from smallwins.daemon.daemon import Daemon
    from smallwins.daemon.lock import DaemonLock, LedgerLock
    from smallwins.daemon.machine import open_and_join
    from smallwins.ledger import location, lock_file

    paths, config = context.paths, context.config
    setup_logging("DEBUG" if verbose else config.settings.log_level)
    log = logging.getLogger("smallwins")
    for warning in config.warnings:
        log.warning("%s", warning)
    plugins, sources = context.plugins, context.sources
    from smallwins.plugins.source import inbox_problem

    problem = inbox_problem(config.settings.inbox, sources)
    if problem:
        fail(config.error(("inbox", "source"), problem))
    lock = DaemonLock(paths.lock_file, paths.where)
    beside = lock_file(context.ledger_url)
    ledger_lock = beside and LedgerLock(beside, location(context.ledger_url), paths.where)
    try:
        lock.acquire()
        if ledger_lock:
            ledger_lock.acquire()
    except SmallwinsError as exc:
        fail(exc)
    if once:
        # A one-off run is a check too: what check-config rejects fails it. The daemon only
        # warns, and keeps going with the plugins and targets that work.
        # (The daemon logs the warnings itself.)
        errors, _ = context.problems(paths.apprise_storage)
        if errors:
            lock.release()
            fail(ConfigError("\nsmallwins: ".join(errors)))
    # Stopped while it waits for the ledger's server: a clean exit, its locks released.
    signal.signal(signal.SIGTERM, _stop_waiting)
    try:
        ledger = open_and_join(context.ledger_url, paths, config.settings, wait=not once)
    except (SmallwinsError, SystemExit, KeyboardInterrupt) as exc:
        if ledger_lock:
            ledger_lock.release()
        lock.release()
        if not isinstance(exc, SmallwinsError):
            sys.exit(0)
        fail(exc)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if ledger.shared and not any(t.reach == "shared" for t in config.settings.notify.urls):
        log.warning(
            "the ledger %s is shared by machines, and no [notify] target here is of scope "
            '"shared": the person\'s moments (milestones, bests, digests, ...) are told by the '
            "lead to its shared targets only; add one (a phone's push service), or set "
            'scope = "shared" on a target',
            ledger.location,
        )
    if not config.exists:
        _explain_defaults(log, context)
    elif not config.settings.notify.urls:
        log.info("no notification URLs in %s: celebrations print here", paths.config_file)

    def reload() -> tuple[Config, list[Source]]:
        from smallwins.config import load_config
        from smallwins.plugins.source import configured_sources

        new = load_config(paths.config_file)
        return new, configured_sources(new, plugins, context.cwd)

    daemon = Daemon(paths, config, plugins, sources, ledger, load=reload)
    # What start-up made lives as long as the daemon: full collections need not walk it again.
    # Its garbage is collected first, or freezing would keep it for good.
    gc.collect()
    gc.freeze()
    from smallwins.cli.progress import ProgressLine, wanted
    from smallwins.cli.terminal import unguarded

    # A long first scan shows its progress on a terminal; a pipe or the journal gets nothing.
    stderr = unguarded(sys.stderr)  # the line redraws itself with \r and ESC [K
    progress = ProgressLine(daemon, stderr) if wanted(stderr) else None
    if progress is not None:
        progress.start()
    try:
        code = asyncio.run(daemon.run_once() if once else daemon.run())
    finally:
        if progress is not None:
            progress.stop()
        ledger.close()
        if ledger_lock:
            ledger_lock.release()
        lock.release()
    sys.exit(code)


def _stop_waiting(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _explain_defaults(log: logging.Logger, context: Context) -> None:
    from smallwins.plugins.loader import offers
    from smallwins.plugins.starter import desktop_url

    log.info(
        "no config at %s; using defaults (`smallwins init` writes one)", context.paths.config_file
    )
    for source in context.sources:
        log.info("%s; celebrations print here", source.says or source.detector.describe())
    desktop = desktop_url()
    log.info(
        "for desktop notifications: %s",
        f'`smallwins init` writes urls = ["{desktop}"] under [notify]'
        if desktop
        else "pip install 'smallwins[desktop]', then `smallwins init`",
    )
    found = offers(context.plugins, context.cwd)
    if not any(o.here and not o.always for o in found):
        # What is there wherever smallwins starts (the journal) is not work found here.
        guesses = "; ".join(o.says for o in found if o.says and not o.always)
        log.info(
            "nothing to watch in %s%s; start smallwins where your work is, or run `smallwins init`",
            context.cwd,
            f" ({guesses})" if guesses else "",
        )
