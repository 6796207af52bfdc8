"""``smallwins report``: the progress page, written to a file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from smallwins.cli.coach import parse_day
from smallwins.cli.context import Context, fail, pass_context
from smallwins.cli.group import cli


@cli.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the page (default: report.html in the data folder).",
)
@click.option("--from", "start", help="First day drawn (default: a year before --to).")
@click.option("--to", "end", help="Last day drawn (default: today).")
@click.option("--goal", "goals", multiple=True, help="Only this goal (repeat for more).")
@click.option("--open", "open_it", is_flag=True, help="Open the page in the browser.")
@pass_context
def report(
    context: Context,
    out: Path | None,
    start: str | None,
    end: str | None,
    goals: tuple[str, ...],
    open_it: bool,
) -> None:
    """Write one self-contained HTML page of each goal's progress (a year calendar,
    strength, weeks against your usual, streaks, the target's steps, the last wins) and
    print its path. The page loads nothing from the network. Reads the ledger only."""
    from smallwins import report as pages
    from smallwins.errors import SmallwinsError
    from smallwins.ledger import MEMORY_URL, LedgerNotFound
    from smallwins.ledger import open_ledger as open_url

    coach = context.coach()
    try:
        ledger = context.open_ledger(readonly=True)
    except LedgerNotFound:
        ledger = open_url(MEMORY_URL)  # before the first scan: the goals at 0
    path = (out or context.paths.data_dir / "report.html").expanduser().absolute()
    try:
        with ledger:
            text = pages.build(
                coach,
                ledger,
                datetime.now(UTC),
                start=parse_day(start),
                end=parse_day(end),
                goals=goals,
            )
        pages.write(path, text)
    except OSError as exc:
        fail(SmallwinsError(f"cannot write {path}: {exc.strerror}; choose another --out"))
    except SmallwinsError as exc:
        fail(exc)
    click.echo(str(path))
    if open_it:
        import webbrowser

        if not webbrowser.open(path.as_uri()):
            click.echo("smallwins: no browser found; open the path above", err=True)
