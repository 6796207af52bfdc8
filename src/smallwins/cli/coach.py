"""The coach's view of the history: ``replay`` and ``stats``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import partial
from typing import TYPE_CHECKING

import click

from smallwins.cli.context import Context, pass_context
from smallwins.cli.group import cli

if TYPE_CHECKING:
    from smallwins.api.wording import Templates
    from smallwins.coach.replay import Told


def parse_day(value: str | None) -> date | None:
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
@pass_context
def replay(context: Context, start: str | None, end: str | None, as_json: bool) -> None:
    """Run your real history through the rules with a simulated clock and print what would
    have been told, and when. Sends and stores nothing."""
    from smallwins.coach.replay import replay as run_replay
    from smallwins.ledger import LedgerNotFound

    try:
        history = context.open_ledger(readonly=True)
    except LedgerNotFound:
        click.echo("[]" if as_json else "No history yet: the ledger is empty.")
        return
    coach = context.coach()
    with history:
        told = run_replay(
            history, coach, context.sources, start=parse_day(start), end=parse_day(end)
        )
    sent = as_sent(told, coach.templates, plain=context.config.settings.notify.plain)
    if as_json:
        click.echo(json.dumps(sent, ensure_ascii=False, indent=1))
        return
    zone = context.config.settings.zone()
    for item in sent:
        when = datetime.fromisoformat(str(item["at"])).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{when}  {item['kind']:<16} {item['title']} | {item['message']}")
    if not sent:
        click.echo("Nothing would have been told.")


def as_sent(told: list[Told], templates: Templates, *, plain: bool) -> list[dict[str, object]]:
    """What was told, one entry per message that would be sent, in the words it would be
    sent with: moments due together composed as the deliverer does (a burst of celebrations
    is one message), each title with its emoji unless ``plain``."""
    from smallwins.coach.celebration import burst_words
    from smallwins.delivery.deliverer import compose
    from smallwins.ledger import PendingDelivery
    from smallwins.message import finish

    by_time: dict[datetime, list[Told]] = {}
    for item in told:
        by_time.setdefault(item.at, []).append(item)
    entries: list[dict[str, object]] = []
    for at, items in by_time.items():
        rows = [PendingDelivery(n, "replay", 0, item.moment) for n, item in enumerate(items)]
        for out in compose("replay", rows, partial(burst_words, templates)):
            first = items[out.outbox_ids[0]].moment
            title, body = finish(out.kind, out.title, out.body, plain=plain)
            entries.append(
                {
                    **first.to_json(),
                    "at": at.isoformat(),
                    "kind": out.kind,
                    "title": title,
                    "message": body,
                    "category": out.category,
                    "notify_type": out.notify_type,
                }
            )
    return entries


@cli.command(name="stats")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per goal.")
@pass_context
def stats_command(context: Context, as_json: bool) -> None:
    """Per goal: streaks, strength, totals, this week against your usual week, the target and
    its next step, and a heat map of the last 12 weeks. Reads the ledger only."""
    from smallwins.coach import stats
    from smallwins.ledger import MEMORY_URL, LedgerNotFound
    from smallwins.ledger import open_ledger as open_url

    coach = context.coach()
    try:
        ledger = context.open_ledger(readonly=True)
    except LedgerNotFound:
        # Before the first scan there is no ledger: an empty one in memory shows the goals at 0.
        ledger = open_url(MEMORY_URL)
    with ledger:
        found = stats.gather(coach, ledger, datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(stats.to_json(found), ensure_ascii=False, indent=1))
    else:
        click.echo(stats.render(found), nl=False)
