"""``smallwins done`` and ``smallwins undo``: a win written into the journal, or taken back."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from smallwins import Host, Recorded, SmallwinsError, host

from .detector import PRIVATE_TAG, JournalDetector
from .lines import FUTURE_SLACK, BadLine, check_tag, check_title, line_for, new_id, parse
from .when import parse_when
from .writing import append, locked

UNDO_WITHIN = timedelta(days=1)


def journal_of(found: Host, name: str) -> Path:
    detector = found.source(name)
    if not isinstance(detector, JournalDetector):
        raise click.BadParameter(
            f"source {name!r} is a {detector.name} source; done writes to journal sources",
            param_hint="--source",
        )
    return detector.path


def tell(recorded: Recorded, fallback: str) -> None:
    for title, message in recorded.told or [(fallback, "")]:
        click.echo(f"{title}: {message}" if message else title)
    for problem in recorded.problems:
        click.echo(f"smallwins: {problem}", err=True)


@click.command()
@click.argument("text", required=False)
@click.option("--tag", "tags", multiple=True, help="A tag for goals to count (repeatable).")
@click.option("--value", type=float, help="How much: 20 (with --unit min), 5 (km)...")
@click.option("--unit", default="", help="The unit of --value: min, km, pages...")
@click.option("--at", "at_text", help='When: 2026-11-30T18:30, "yesterday 18:30", "2 hours ago".')
@click.option(
    "--private",
    is_flag=True,
    help="Celebrate it without its text: the title never leaves this machine (#private).",
)
@click.option("--source", "source", default="journal", show_default=True, help="A journal source.")
def done(
    text: str | None,
    tags: tuple[str, ...],
    value: float | None,
    unit: str,
    at_text: str | None,
    private: bool,
    source: str,
) -> None:
    """Record a win by hand: a line in the journal, celebrated now.

    Works whether or not the daemon runs: a running one tells it within a second; otherwise
    the celebration is printed here and the next start tells it.
    """
    if text is None:
        if not sys.stdin.isatty():
            raise click.UsageError('say what you did: smallwins done "what you did"')
        text = click.prompt("What did you do?", default="", show_default=False)
    try:
        title = check_title(text or "")
        tags = tuple(check_tag(t) for t in tags)
        if private and PRIVATE_TAG not in tags:
            tags += (PRIVATE_TAG,)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if unit and value is None:
        raise click.UsageError("--unit needs --value: --value 20 --unit min")
    found = host()
    zone = found.zone()
    now = datetime.now(UTC)
    at = now.astimezone(zone)
    if at_text is not None:
        try:
            at = parse_when(at_text, now, zone)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--at") from None
        if at > now + FUTURE_SLACK:
            raise click.BadParameter(
                f"{at.isoformat(timespec='minutes')} is in the future: a win is told once done",
                param_hint="--at",
            )
    try:
        path = journal_of(found, source)
        if not found.scanned(source):
            found.scan_now(source)  # what the journal held before is history, not news
        append(path, line_for(title, at, tags=tags, value=value, unit=unit, key=new_id()))
        tell(found.scan_now(source), f"Recorded: {title}")
    except SmallwinsError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.option("--source", "source", default="journal", show_default=True, help="A journal source.")
def undo(source: str) -> None:
    """Take back the last win written in the journal, if it is of the last day."""
    found = host()
    try:
        path = journal_of(found, source)
        with locked(path):
            lines = path.read_bytes().splitlines(keepends=True)
            last = _last_win(lines, found)
            if last is None:
                raise click.ClickException(f"{path} holds no win to take back")
            number, title, at = last
            if at is not None and datetime.now(UTC) - at > UNDO_WITHIN:
                raise click.ClickException(
                    f"the last win in {path} (line {number}, {title!r}) is more than a day old;"
                    " to take it back, delete its line in an editor"
                )
            _replace(path, b"".join(lines[: number - 1] + lines[number:]))
        found.scan_now(source)
    except SmallwinsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Took back: {title} ({path}, line {number})")


def _last_win(lines: list[bytes], found: Host) -> tuple[int, str, datetime | None] | None:
    zone = found.zone()
    for number in range(len(lines), 0, -1):
        try:
            entry = parse(lines[number - 1].decode("utf-8").rstrip("\r\n"), zone)
        except (UnicodeDecodeError, BadLine):
            continue
        if entry is not None:
            return number, entry.title, entry.at
    return None


def _replace(path: Path, data: bytes) -> None:
    """Write ``data`` as the journal the way an editor saves: a new file renamed over it."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, path.stat().st_mode & 0o777)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
