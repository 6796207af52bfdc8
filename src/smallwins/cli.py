"""The ``smallwins`` command line. Heavy imports (Apprise, detectors) stay inside commands."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from smallwins.errors import SmallwinsError
from smallwins.paths import Paths, resolve_paths

if TYPE_CHECKING:
    from smallwins.config import Config
    from smallwins.ledger import Ledger
    from smallwins.plugins import Plugins
    from smallwins.source import Source

F = TypeVar("F", bound=Callable[..., Any])


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


def load_config(paths: Paths) -> Config:
    from smallwins.config import load_config as load

    try:
        return load(paths.config_file)
    except SmallwinsError as exc:
        fail(exc)


def load_plugins(config: Config) -> Plugins:
    from smallwins.plugins import load_plugins as load

    settings = config.settings
    return load(settings.plugins_dir, settings.disabled_plugins)


def ledger_url(paths: Paths, config: Config) -> str:
    from smallwins.ledger import sqlite_url

    return config.settings.ledger.url or sqlite_url(paths.ledger_file)


def open_ledger(paths: Paths, config: Config, *, readonly: bool = False) -> Ledger:
    """The configured ledger; for reading, LedgerNotFound before anything was recorded."""
    from smallwins.ledger import open_ledger as open_url

    return open_url(ledger_url(paths, config), readonly=readonly)


def sources_for(paths: Paths, config: Config, plugins: Plugins, cwd: Path) -> list[Source]:
    """The configured sources; with no config file, the git repository we were started in."""
    from smallwins.source import configured_sources

    try:
        return configured_sources(config, plugins, cwd)
    except SmallwinsError as exc:
        fail(exc)


class Group(click.Group):
    """Lets plugins add commands through the ``register_commands`` hook, loaded on demand."""

    _loaded = False

    def _load_plugin_commands(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        from smallwins.config import load_config as load
        from smallwins.plugins import call_each
        from smallwins.plugins import load_plugins as load_all

        try:
            settings = load(resolve_paths().config_file).settings
        except SmallwinsError:
            return  # commands that need the config report the error themselves
        plugins = load_all(settings.plugins_dir, settings.disabled_plugins)
        call_each(plugins, "register_commands", lambda _: {"cli": self})

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


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
def init(force: bool) -> None:
    """Write a commented starter config (git email, repositories nearby, desktop notifier)."""
    from smallwins import starter

    paths = resolve_paths()
    target = paths.config_file
    if target.exists() and not force:
        click.echo(f"{target} already exists; `smallwins init --force` overwrites it.", err=True)
        sys.exit(1)
    found = starter.find(Path.cwd())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(starter.render(found), encoding="utf-8")
    click.echo(f"Wrote {target}")
    click.echo(f"  git email: {found.email or 'not set (git config --global user.email ...)'}")
    click.echo(f"  repositories: {', '.join(found.repos) or 'none found; edit repos'}")
    desktop = found.desktop_url or "none loads here; pip install 'smallwins[desktop]'"
    click.echo(f"  desktop notifier: {desktop}")
    click.echo(
        "Next: `smallwins check-config`, then `smallwins run` or `smallwins service install`."
    )


@cli.command()
@click.option("--once", is_flag=True, help="Scan every source, deliver what is due, and exit.")
@click.option("-v", "--verbose", is_flag=True, help="Log each scan (DEBUG).")
def run(once: bool, verbose: bool) -> None:
    """Run the daemon in the foreground: watch, record wins, celebrate."""
    import asyncio

    from smallwins.daemon import Daemon
    from smallwins.lock import DaemonLock

    paths = resolve_paths()
    config = load_config(paths)
    setup_logging("DEBUG" if verbose else config.settings.log_level)
    log = logging.getLogger("smallwins")
    plugins = load_plugins(config)
    cwd = Path.cwd()
    sources = sources_for(paths, config, plugins, cwd)
    lock = DaemonLock(paths.lock_file)
    try:
        lock.acquire()
    except SmallwinsError as exc:
        fail(exc)
    ledger = open_ledger(paths, config)
    if not config.exists:
        _explain_defaults(log, paths, sources, cwd)
    elif not config.settings.notify.urls:
        log.info("no notification URLs in %s: celebrations print here", paths.config_file)

    def reload() -> tuple[Config, list[Source]]:
        from smallwins.config import load_config as load
        from smallwins.source import configured_sources

        new = load(paths.config_file)
        return new, configured_sources(new, plugins, cwd)

    daemon = Daemon(paths, config, plugins, sources, ledger, load=reload)
    try:
        code = asyncio.run(daemon.run_once() if once else daemon.run())
    finally:
        ledger.close()
        lock.release()
    sys.exit(code)


def _explain_defaults(log: logging.Logger, paths: Paths, sources: list[Source], cwd: Path) -> None:
    log.info("no config at %s; using defaults (`smallwins init` writes one)", paths.config_file)
    if sources:
        for source in sources:
            log.info(
                "watching %s for commits by %s; celebrations print here",
                source.detector.describe(),
                ", ".join(getattr(source.detector.options, "authors", []) or [_git_email(cwd)]),
            )
    else:
        log.info(
            "%s is not inside a git repository, so there is nothing to watch yet; "
            "start smallwins in a repository or run `smallwins init`",
            cwd,
        )


def _git_email(cwd: Path) -> str:
    import subprocess

    done = subprocess.run(
        ["git", "config", "user.email"], cwd=cwd, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "nobody yet (git config --global user.email you@example.com)"


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    text = value.strip().lower()
    units = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
    if text == "today":
        now = datetime.now().astimezone()
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    if text[:-1].isdigit() and text[-1] in units:
        return datetime.now(UTC) - timedelta(seconds=int(text[:-1]) * units[text[-1]])
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: use a date (2026-11-01), a time (2026-11-01T08:00), today, or 7d/24h/30m"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


@cli.command()
@click.option("--since", help="Only wins since: 2026-11-01, today, 7d, 24h.")
@click.option("--source", help="Only wins of this source.")
@click.option("--limit", type=int, default=100, show_default=True, help="Newest N; 0 for all.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def wins(since: str | None, source: str | None, limit: int, as_json: bool) -> None:
    """List recorded wins, oldest first (of the newest --limit)."""
    paths = resolve_paths()
    config = load_config(paths)
    from smallwins.ledger import LedgerNotFound

    try:
        ledger = open_ledger(paths, config, readonly=True)
    except LedgerNotFound:
        click.echo("[]" if as_json else "No wins yet: the ledger is empty.")
        return
    only = [source] if source is not None else None
    with ledger:
        found = ledger.wins(
            since=_since(since), sources=only, limit=limit or None, newest_first=True
        )
        found.reverse()
        if as_json:
            click.echo(json.dumps([w.to_json() for w in found], ensure_ascii=False, indent=1))
            return
        rests = []
        if found:
            rests = ledger.rest_days(sources=only, since=found[0].day, until=found[-1].day)
    if not found:
        click.echo("No wins match.")
    # Rest days go between the wins of their days, so a listing shows the whole picture.
    lines = [
        (w.day, w.occurred_at.strftime("%Y-%m-%d %H:%M"), w.source, w.kind, w.title) for w in found
    ]
    lines += [
        (r.day, f"{r.day.isoformat()}      ", name, "rest day", r.reason) for name, r in rests
    ]
    for _day, when, name, kind, title in sorted(lines, key=lambda line: (line[0], line[1])):
        click.echo(f"{when}  {name:<12} {kind:<10} {title}")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status(as_json: bool) -> None:
    """Is the daemon running; each source's last scan and error; the outbox."""
    from smallwins.lock import running_pid

    paths = resolve_paths()
    pid = running_pid(paths.lock_file)
    report: dict[str, Any] = {
        "running": pid is not None,
        "pid": pid if pid and pid > 0 else None,
        "config": str(paths.config_file),
        "config_exists": paths.config_file.exists(),
        "config_error": None,
        "ledger": None,
        "sources": {},
        "outbox": {"pending": 0, "failed": 0},
        "targets": [],
        "paused": [],
    }
    from smallwins.config import load_config as load

    try:
        config = load(paths.config_file)
    except SmallwinsError as exc:
        report["config_error"] = str(exc)
        config = None
    if config is not None:
        for name, settings in config.settings.sources.items():
            report["sources"][name] = _source_json(settings.detector, None)
        _ledger_status(paths, config, report)
    if as_json:
        click.echo(json.dumps(report, indent=1))
        return
    _print_status(report)


def _source_json(detector: str, state: Any) -> dict[str, Any]:
    return {
        "detector": detector,
        "last_scan": _iso(state.last_scan_at) if state else None,
        "last_ok": _iso(state.last_ok_at) if state else None,
        "wins": state.wins if state else 0,
        "last_error": state.last_error if state else None,
        "failures": state.failures if state else 0,
        "paused_until": _iso(state.paused_until) if state else None,
        "problems": state.problems if state else [],
        "rest_days": [],
    }


def _ledger_status(paths: Paths, config: Config, report: dict[str, Any]) -> None:
    from smallwins.ledger import LedgerNotFound, location

    report["ledger"] = location(ledger_url(paths, config))
    now = datetime.now(UTC)
    try:
        ledger = open_ledger(paths, config, readonly=True)
    except LedgerNotFound:
        return
    with ledger:
        for state in ledger.source_states():
            report["sources"][state.name] = _source_json(state.detector, state)
            if state.paused_until and state.paused_until > now:
                report["paused"].append(state.name)
        recent = datetime.now().date() - timedelta(days=7)
        for name, rest in ledger.rest_days(since=recent):
            entry = report["sources"].setdefault(name, _source_json("?", None))
            entry["rest_days"].append({"day": rest.day.isoformat(), "reason": rest.reason})
        report["outbox"] = ledger.outbox_counts()
        report["targets"] = [
            {
                "name": t.name,
                "failures": t.failures,
                "next_attempt_at": _iso(t.next_attempt_at),
                "last_error": t.last_error,
                "last_ok_at": _iso(t.last_ok_at),
            }
            for t in ledger.target_states()
        ]


def _print_status(report: dict[str, Any]) -> None:
    running = f"running (pid {report['pid']})" if report["running"] else "not running"
    click.echo(f"daemon: {running}")
    exists = "" if report["config_exists"] else " (not written yet: smallwins init)"
    click.echo(f"config: {report['config']}{exists}")
    if report["config_error"]:
        click.echo(f"  error: {report['config_error']}")
    click.echo(f"ledger: {report['ledger']}")
    click.echo("sources:")
    if not report["sources"]:
        click.echo("  none")
    for name, src in sorted(report["sources"].items()):
        last = src["last_scan"] or "never scanned"
        click.echo(f"  {name} ({src['detector']}): {src['wins']} wins, last scan {last}")
        if src["last_error"]:
            click.echo(f"    error: {src['last_error']}")
        if name in report["paused"]:
            click.echo(f"    paused until {src['paused_until']}")
        for problem in src["problems"][-3:]:
            click.echo(f"    problem: {problem}")
        if src["rest_days"]:
            days = ", ".join(
                f"{r['day']} ({r['reason']})" if r["reason"] else r["day"]
                for r in src["rest_days"][:5]
            )
            more = len(src["rest_days"]) - 5
            click.echo(f"    rest days: {days}" + (f" and {more} more" if more > 0 else ""))
    outbox = report["outbox"]
    click.echo(f"outbox: {outbox['pending']} pending, {outbox['failed']} failing")
    for target in report["targets"]:
        if target["failures"]:
            click.echo(
                f"  {target['name']}: {target['failures']} failures, last: {target['last_error']}"
            )


@cli.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def plugins_command(as_json: bool) -> None:
    """Installed plugins, their detectors and their rules."""
    paths = resolve_paths()
    config = load_config(paths)
    plugins = load_plugins(config)
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
        return
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
def notify_test() -> None:
    """Send one test message to every configured URL and report each result."""
    from smallwins.notify import send_one
    from smallwins.redact import REDACTOR

    paths = resolve_paths()
    config = load_config(paths)
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


@cli.command(name="check-config")
def check_config() -> None:
    """Validate the config; exit 0 when it is good, 78 when not."""
    from smallwins.config import load_config as load
    from smallwins.errors import ConfigError

    paths = resolve_paths()
    try:
        config = load(paths.config_file)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"smallwins: {problem}", err=True)
        sys.exit(exc.exit_code)
    plugins = load_plugins(config)
    if not config.exists:
        click.echo(f"{paths.config_file} does not exist: the defaults apply (smallwins init).")
        return
    sources = sources_for(paths, config, plugins, Path.cwd())
    from smallwins.notify import Notifier

    problems = Notifier(config.settings.notify.urls).prepare()
    for name, problem in problems.items():
        click.echo(f"warning: notify target {name}: {problem}", err=True)
    click.echo(
        f"{paths.config_file}: ok, {len(sources)} sources, "
        f"{len(config.settings.notify.urls)} notification targets"
    )


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use a date like 2026-11-01") from None


@cli.command()
@click.option("--from", "start", help="First day to show (the rules still see all history).")
@click.option("--to", "end", help="Last day to replay and show.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def replay(start: str | None, end: str | None, as_json: bool) -> None:
    """Run your real history through the rules with a simulated clock and print what would
    have been told, and when. Sends and stores nothing."""
    from smallwins.coach import build_coach
    from smallwins.ledger import LedgerNotFound
    from smallwins.replay import replay as run_replay

    paths = resolve_paths()
    config = load_config(paths)
    plugins = load_plugins(config)
    sources = sources_for(paths, config, plugins, Path.cwd())
    try:
        history = open_ledger(paths, config, readonly=True)
    except LedgerNotFound:
        click.echo("[]" if as_json else "No history yet: the ledger is empty.")
        return
    coach = build_coach(config.settings, sources, plugins.rules, plugins.templates)
    with history:
        told = run_replay(history, coach, sources, start=_day(start), end=_day(end))
    if as_json:
        click.echo(json.dumps([t.to_json() for t in told], ensure_ascii=False, indent=1))
        return
    from smallwins.message import finish

    zone = config.settings.zone()
    for item in told:
        when = item.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        title, body = finish(item.moment.kind, item.moment.title, item.moment.message, plain=True)
        click.echo(f"{when}  {item.moment.kind:<16} {title} | {body}")
    if not told:
        click.echo("Nothing would have been told.")


@cli.command(name="stats")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per goal.")
def stats_command(as_json: bool) -> None:
    """Per goal: streaks, strength, totals, this week against your usual week, the target and
    its next step, and a heat map of the last 12 weeks. Reads the ledger only."""
    from smallwins import stats
    from smallwins.coach import build_coach
    from smallwins.ledger import MEMORY_URL, LedgerNotFound
    from smallwins.ledger import open_ledger as open_url

    paths = resolve_paths()
    config = load_config(paths)
    plugins = load_plugins(config)
    sources = sources_for(paths, config, plugins, Path.cwd())
    coach = build_coach(config.settings, sources, plugins.rules, plugins.templates)
    try:
        ledger = open_ledger(paths, config, readonly=True)
    except LedgerNotFound:
        # Before the first scan there is no ledger: an empty one in memory shows the goals at 0.
        ledger = open_url(MEMORY_URL)
    with ledger:
        found = stats.gather(coach, ledger, datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(stats.to_json(found), ensure_ascii=False, indent=1))
    else:
        click.echo(stats.render(found), nl=False)


@cli.group()
def service() -> None:
    """Run smallwins as a background service."""


@service.command(name="install")
@click.option("--print", "print_only", is_flag=True, help="Show the unit; write nothing.")
def service_install(print_only: bool) -> None:
    """Write and enable a systemd user unit (a launchd agent on macOS)."""
    from smallwins.service import install, service_file

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


def main() -> None:
    cli(prog_name="smallwins")
