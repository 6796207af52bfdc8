"""``smallwins experiment``: declare a small change, and see what it did to a goal."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import click

from smallwins.cli.coach import parse_day
from smallwins.cli.context import Context, pass_context
from smallwins.cli.group import cli

if TYPE_CHECKING:
    from smallwins.coach.coach import Coach
    from smallwins.coach.experiment import Outcome
    from smallwins.ledger import Experiment, Ledger


# A window longer than ten years says nothing a person could act on.
MAX_DAYS = 3650


@cli.group()
def experiment() -> None:
    """Try a small change on a goal and see what it did: its daily total during the change
    against the weeks before, with a 95% interval once it has ended (docs/coaching.md)."""


def _running(ledger: Ledger, today: date) -> list[Experiment]:
    return [e for e in ledger.experiments() if e.last_day >= today]


@experiment.command(short_help="Start an experiment on a goal.")
@click.argument("name")
@click.option("--goal", required=True, help="The goal it is meant to change.")
@click.option(
    "--days",
    type=click.IntRange(min=1, max=MAX_DAYS),
    default=14,
    show_default=True,
    help="How many days it runs.",
)
@click.option("--from", "start", help="The day it began, when that is past (default: today).")
@pass_context
def start(context: Context, name: str, goal: str, days: int, start: str | None) -> None:
    """Start an experiment called NAME on a goal, from today (or --from a past day), for
    --days days. Its baseline is the goal's 28 days before it (twice --days when that is
    longer), from the goal's first win on."""
    from smallwins.coach.experiment import baseline
    from smallwins.coach.trackers import tracker_from
    from smallwins.ledger import LedgerNotFound

    name = " ".join(name.split())
    if not name or not name.isprintable():
        raise click.BadParameter(
            'give the experiment a name in plain text, like "sit before coffee"',
            param_hint="NAME",
        )
    coach = context.coach()
    known = {g.name: g for g in coach.goals}
    if goal not in known:
        names = ", ".join(known) or "none"
        raise click.BadParameter(
            f"no goal named {goal!r}; the goals are: {names}", param_hint="--goal"
        )
    today = coach.schedule.today(datetime.now(UTC))
    first = parse_day(start) or today
    if first > today:
        raise click.BadParameter(
            f"{first} is in the future: --from is for a change that already began; "
            "without it the experiment starts today",
            param_hint="--from",
        )
    try:
        history = context.open_ledger(readonly=True)
    except LedgerNotFound:
        first_win = None
    else:
        with history:
            first_win = history.read(lambda view: tracker_from(view, known[goal])).first_day
    if baseline(first, days, first_win) is None:
        since = f"; its first is on {first_win}" if first_win else ""
        raise click.BadParameter(
            f"goal {goal!r} has no win before {first} to compare against{since}: "
            "start it once the goal has some history",
            param_hint="--from" if start else "--goal",
        )
    with context.open_ledger() as ledger:
        clash = [e for e in _running(ledger, today) if e.name == name]
        if clash:
            raise click.BadParameter(
                f"{name!r} is already running (until {clash[0].last_day}): stop it with "
                f"`smallwins experiment stop {name!r}`, or choose another name",
                param_hint="NAME",
            )
        added = ledger.add_experiment(name, goal, first, days)
    click.echo(
        f"Started '{added.name}' on {goal}: {added.start} to {added.last_day}. "
        "You will be told what it did when its last day ends."
    )


@experiment.command(short_help="End a running experiment early.")
@click.argument("name", required=False)
@pass_context
def stop(context: Context, name: str | None) -> None:
    """End a running experiment early (NAME may be left out when only one runs); its last
    day is yesterday, and what it did is told as at its end."""
    today = context.coach().schedule.today(datetime.now(UTC))
    with context.open_ledger() as ledger:
        running = _running(ledger, today)
        chosen = [e for e in running if name is None or e.name == " ".join(name.split())]
        if len(chosen) != 1:
            names = ", ".join(repr(e.name) for e in running) or "none"
            problem = (
                f"no running experiment named {name!r}"
                if name is not None
                else "name the one to stop"
                if chosen
                else "no experiment is running"
            )
            raise click.BadParameter(f"{problem}; running: {names}", param_hint="NAME")
        found = chosen[0]
        last = today - timedelta(days=1)
        if last < found.start:
            ledger.remove_experiment(found.id)
            click.echo(f"Stopped '{found.name}' before any of its days ended: nothing to compare.")
            return
        ledger.stop_experiment(found.id, last)
    click.echo(f"Stopped '{found.name}': its days are {found.start} to {last}.")


@experiment.command(name="list", short_help="Each experiment and what it did.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_context
def list_(context: Context, as_json: bool) -> None:
    """Every experiment: its windows, the goal's daily mean before and during it, and once
    it has ended, the change with its 95% interval."""
    found = experiment_outcomes(context)
    if as_json:
        click.echo(json.dumps([o.to_json() for o in found], ensure_ascii=False, indent=1))
        return
    if not found:
        click.echo('No experiments yet: smallwins experiment start "NAME" --goal GOAL')
    for item in found:
        e = item.experiment
        state = "ended" if item.ended else "running"
        click.echo(f"{e.name} ({e.goal}, {e.start} to {e.last_day}, {state})")
        click.echo(f"  {item.sentence()}")


def experiment_outcomes(context: Context) -> list[Outcome]:
    from smallwins.coach.experiment import outcomes
    from smallwins.ledger import LedgerNotFound

    coach: Coach = context.coach()
    now = datetime.now(UTC)
    try:
        ledger = context.open_ledger(readonly=True)
    except LedgerNotFound:
        return []
    with ledger:
        ledger.read(lambda view: coach.load(view, now))
        today = coach.schedule.today(now)
        return ledger.read(lambda view: outcomes(view, coach.goals, coach.trackers, today))
