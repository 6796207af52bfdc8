"""``smallwins ledger copy FROM TO``: a whole ledger, SQLite to PostgreSQL and back, as a real
command on real ledgers."""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from smallwins import RestDay, Win
from smallwins.ledger import Ledger, open_ledger, sqlite_url
from tests import postgres
from tests.cli_run import smallwins
from tests.test_ledger import moment

ZONE = ZoneInfo("Europe/Berlin")
START = datetime(2025, 1, 1, 9, tzinfo=UTC)
MANY = 10_050  # past the progress bar's threshold, and three pages of the largest table


def fill(ledger: Ledger) -> None:
    wins = [
        Win(key=f"c{n}", title=f"Commit {n}", occurred_at=START + timedelta(hours=n), value=n)
        for n in range(MANY)
    ]
    ledger.join("m-one", "laptop", {"timezone": "Europe/Berlin"})
    ledger.record(
        "code",
        "git",
        wins,
        {"head": "c9"},
        zone=ZONE,
        day_starts_at=time(4),
        rest_days=[RestDay(START.date(), "holiday")],
    )
    ledger.record("sits", "meditation", wins[:3], None, zone=ZONE, day_starts_at=time(4))
    ledger.note_scan("code", "git", error=None)
    told = moment("told", kind="milestone", at=START)
    waiting = moment("waiting", kind="digest", at=START)
    assert ledger.add_moment(told, ["phone"]) and ledger.add_moment(waiting, ["phone", "mail"])
    (sent,) = ledger.due(START, ["phone"])[:1]
    ledger.mark_sent([sent.outbox_id], "phone")
    ledger.add_experiment("sit before coffee", "code", START.date(), 14)
    stopped = ledger.add_experiment("walk at noon", "code", START.date() + timedelta(days=20), 7)
    ledger.stop_experiment(stopped.id, START.date() + timedelta(days=22))


def copy(home: Path, source: str, target: str) -> str:
    env = {**os.environ, "SMALLWINS_HOME": str(home)}
    done = smallwins("ledger", "copy", source, target, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def same(one: Ledger, other: Ledger) -> None:
    assert [w.to_json() for w in one.wins()] == [w.to_json() for w in other.wins()]
    assert one.rest_days() == other.rest_days()
    assert [m.dedupe_key for m in one.moments()] == [m.dedupe_key for m in other.moments()]
    assert one.outbox_counts() == other.outbox_counts() == {"pending": 2, "failed": 0}
    assert [(s.name, s.wins) for s in one.source_states()] == [
        (s.name, s.wins) for s in other.source_states()
    ]
    assert [m.id for m in one.machines()] == [m.id for m in other.machines()] == ["m-one"]
    assert [(e.name, e.goal, e.start, e.days, e.stopped) for e in one.experiments()] == [
        (e.name, e.goal, e.start, e.days, e.stopped) for e in other.experiments()
    ]
    assert len(one.experiments()) == 2


def test_a_ledger_goes_to_postgresql_and_back_whole_and_a_second_copy_adds_nothing(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    first = tmp_path / "first.sqlite3"
    with open_ledger(sqlite_url(first)) as ledger:
        fill(ledger)
    server = postgres.server().url(postgres.fresh_database())
    said = copy(home, str(first), server)
    assert "Copying" in said  # the progress bar of a large ledger
    assert f"wins: {MANY + 3:,} added" in said and "there already" not in said
    with open_ledger(sqlite_url(first)) as original, open_ledger(server) as copied:
        same(original, copied)
        # A file's cursors are its one machine's; on the server the first machine to join
        # takes them.
        assert copied.join("m-one", "laptop") and copied.cursor("code") == {"head": "c9"}
    again = copy(home, sqlite_url(first), server)
    assert f"wins: 0 added ({MANY + 3:,} there already)" in again
    assert "experiments: 0 added (2 there already)" in again
    back = tmp_path / "back.sqlite3"
    (home / "state").mkdir()
    (home / "state" / "machine").write_text("m-one\n")
    copy(home, server, sqlite_url(back))
    with open_ledger(sqlite_url(first)) as original, open_ledger(sqlite_url(back)) as returned:
        same(original, returned)
        assert returned.cursor("code") == {"head": "c9"}  # this machine's


def test_copying_from_nothing_or_onto_itself_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "SMALLWINS_HOME": str(tmp_path / "home")}
    missing = smallwins("ledger", "copy", str(tmp_path / "none.sqlite3"), "x.sqlite3", env=env)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        f"smallwins: nothing to copy: no ledger at {tmp_path / 'none.sqlite3'}"
    ]
    path = tmp_path / "l.sqlite3"
    with open_ledger(sqlite_url(path)):
        pass
    itself = smallwins("ledger", "copy", str(path), sqlite_url(path), env=env)
    assert itself.returncode == 2 and "the same ledger" in itself.stderr
