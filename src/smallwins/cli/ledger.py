"""The ledger: ``wins``, ``status``, and ``ledger status`` and ``ledger copy``."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from smallwins.cli.context import Context, fail, pass_context
from smallwins.cli.group import cli
from smallwins.errors import ConfigError, SmallwinsError

# From this many rows on, a copy shows a progress bar (on a terminal).
BAR_FROM = 10_000


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
@pass_context
def wins(
    context: Context, since: str | None, source: str | None, limit: int, as_json: bool
) -> None:
    """List recorded wins, oldest first (of the newest --limit)."""
    from smallwins.ledger import LedgerNotFound

    try:
        ledger = context.open_ledger(readonly=True)
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
    # A win keeps the day it was recorded on, where the person was (a diary is not rewritten
    # after a move); its time is shown in the zone they are in now.
    zone = context.config.settings.zone()
    lines: list[tuple[date, float, datetime | None, str, str, str]] = [
        (
            w.day,
            w.occurred_at.timestamp(),
            w.occurred_at.astimezone(zone),
            w.source,
            w.kind,
            w.title,
        )
        for w in found
    ]
    # Rest days go first among the wins of their days, so a listing shows the whole picture.
    lines += [(r.day, float("-inf"), None, name, "rest day", r.reason) for name, r in rests]
    for day, _order, at, name, kind, title in sorted(lines, key=lambda line: line[:2]):
        when = at.strftime("%Y-%m-%d %H:%M") if at else f"{day.isoformat()}      "
        click.echo(f"{when}  {name:<12} {kind:<10} {title}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_context
def status(context: Context, as_json: bool) -> None:
    """Is the daemon running; each source's last scan and error; the outbox."""
    from smallwins.status import report

    # A plugin that failed is the report's config error; the loader's log line would say it
    # twice.
    logging.getLogger("smallwins.plugins").addHandler(logging.NullHandler())
    found = report(context.paths)
    for problem in (found["config_error"], found["ledger_unreachable"]):
        if problem:
            click.echo(f"smallwins: {problem}", err=True)
    if as_json:
        click.echo(json.dumps(found, indent=1))
    else:
        _print_status(found)
    if found["config_error"]:
        sys.exit(ConfigError.exit_code)
    if found["ledger_unreachable"]:
        sys.exit(1)


def _local(moment: str | None, zone: ZoneInfo) -> str | None:
    """An ISO time from the report in the person's zone, to the second."""
    if moment is None:
        return None
    return datetime.fromisoformat(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _print_status(report: dict[str, Any]) -> None:
    zone = ZoneInfo(report["timezone"])
    running = f"running (pid {report['pid']})" if report["running"] else "not running"
    click.echo(f"daemon: {running}")
    exists = "" if report["config_exists"] else " (not written yet: smallwins init)"
    invalid = " (invalid: see above)" if report["config_error"] else ""
    click.echo(f"config: {report['config']}{exists}{invalid}")
    click.echo(f"ledger: {report['ledger'] or 'unknown until the config is fixed'}")
    if report["ledger_outage"]:
        outage = report["ledger_outage"]
        click.echo(f"  cannot be written since {outage['since']}: {outage['error']}")
    if report["ledger_unreachable"]:
        click.echo("  not answering (see above): the sources' scans are not known here")
    if report["spool"]:
        spool = report["spool"]
        held = f"{spool['wins']} wins" if spool["wins"] is not None else spool["error"]
        click.echo(
            f"  spool: {held} recorded on this machine while the server was away, drained"
            f" into the ledger when it answers ({spool['path']})"
        )
    click.echo("sources:")
    if not report["sources"]:
        click.echo("  none")
    for name, src in sorted(report["sources"].items()):
        last = _local(src["last_scan"], zone) or "never scanned"
        click.echo(f"  {name} ({src['detector']}): {src['wins']} wins, last scan {last}")
        if src["last_error"]:
            click.echo(f"    error: {src['last_error']}")
        if name in report["paused"]:
            click.echo(f"    paused until {_local(src['paused_until'], zone)}")
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


@cli.group("ledger")
def ledger_group() -> None:
    """The ledger itself: which one, its machines and its lead."""


@ledger_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_context
def ledger_status(context: Context, as_json: bool) -> None:
    """Which ledger, its schema version, this machine, the lead, and every machine."""
    from smallwins.daemon.machine import known_machine_id
    from smallwins.ledger import LedgerNotFound, location
    from smallwins.status import ledger_report

    machine = known_machine_id(context.paths)
    try:
        ledger = context.open_ledger(readonly=True)
    except LedgerNotFound:
        where = location(context.ledger_url)
        if as_json:
            empty = {"ledger": where, "schema_version": 0, "machine": machine, "lead": None}
            click.echo(json.dumps({**empty, "machines": [], "warnings": []}, indent=1))
        else:
            click.echo(f"ledger: {where} (nothing recorded yet)")
        return
    with ledger:
        found = ledger_report(ledger, machine)
    for warning in found["warnings"]:
        click.echo(f"smallwins: warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(found, indent=1))
        return
    zone = context.config.settings.zone()
    kind = "shared by machines" if found["shared"] else "one machine"
    click.echo(f"ledger: {found['ledger']} (schema {found['schema_version']}, {kind})")
    click.echo(f"machine: {machine or 'none yet (made at the first start)'}")
    click.echo(f"lead: {found['lead'] or 'none'}")
    click.echo("machines:")
    if not found["machines"]:
        click.echo("  none yet")
    for each in found["machines"]:
        marks = [
            "this" if each["id"] == machine else "",
            "lead" if each["id"] == found["lead"] else "",
        ]
        note = f" ({', '.join(m for m in marks if m)})" if any(marks) else ""
        last = _local(each["last_contact"], zone)
        click.echo(f"  {each['id']}  {each['label']}  last contact {last}{note}")


@ledger_group.command("copy")
@click.argument("from_url", metavar="FROM")
@click.argument("to_url", metavar="TO")
@pass_context
def ledger_copy(context: Context, from_url: str, to_url: str) -> None:
    """Copy the whole ledger FROM into TO (SQLite to PostgreSQL or back): each a URL
    (sqlite:////path, postgresql://...) or a SQLite file's path. What TO holds already is
    kept, so running it again adds nothing. Stop the daemons that write to either first."""
    from smallwins.daemon.machine import known_machine_id
    from smallwins.ledger import LedgerNotFound, copying, location, open_ledger, sqlite_url

    def url_of(given: str) -> str:
        return given if "://" in given else sqlite_url(Path(given).expanduser().resolve())

    source_url, target_url = url_of(from_url), url_of(to_url)
    try:
        if location(source_url) == location(target_url):
            raise click.UsageError("FROM and TO are the same ledger")
        source = open_ledger(source_url, readonly=True)
    except LedgerNotFound:
        fail(SmallwinsError(f"nothing to copy: no ledger at {location(source_url)}"))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except SmallwinsError as exc:
        fail(exc)
    with source:
        try:
            target = open_ledger(target_url)
        except (SmallwinsError, ValueError) as exc:
            fail(exc if isinstance(exc, SmallwinsError) else SmallwinsError(str(exc)))
        with target:
            total = copying.rows_to_copy(source)
            machine = known_machine_id(context.paths) or ""
            bar = None
            if total >= BAR_FROM:
                bar = click.progressbar(length=total, label="Copying", file=sys.stderr)
            with bar or contextlib.nullcontext():
                done = copying.copy_ledger(
                    source, target, machine=machine, progress=bar.update if bar else _ignore
                )
    click.echo(f"Copied {source.location} to {target.location}:")
    for table in copying.TABLES:
        read, added = done.read.get(table, 0), done.added.get(table, 0)
        if read:
            there = f" ({read - added:,} there already)" if read != added else ""
            click.echo(f"  {table.replace('_', ' ')}: {added:,} added{there}")


def _ignore(_rows: int) -> None:
    pass
