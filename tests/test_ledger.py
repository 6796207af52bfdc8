from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smallwins import Win
from smallwins.ledger import Ledger
from smallwins.moment import Moment
from smallwins.schema import MIGRATIONS

ZONE = ZoneInfo("Europe/Berlin")


def win(key: str, when: datetime, **kw: object) -> Win:
    return Win(key=key, title=f"win {key}", occurred_at=when, **kw)  # type: ignore[arg-type]


def record(ledger: Ledger, wins: list[Win], cursor: object = None) -> list[str]:
    new = ledger.record("code", "git", wins, cursor, zone=ZONE, day_starts_at=time(4))
    return [w.key for w in new]


def test_schema_is_versioned_and_wal(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        assert ledger.schema_version == len(MIGRATIONS)
    db = sqlite3.connect(tmp_path / "l.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    with Ledger(tmp_path / "l.sqlite3") as ledger:  # reopening migrates nothing twice
        assert ledger.schema_version == len(MIGRATIONS)


def test_record_is_idempotent_and_keeps_cursor(tmp_path: Path) -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        assert record(ledger, [win("a", now), win("b", now)], {"at": 1}) == ["a", "b"]
        assert record(ledger, [win("a", now), win("b", now), win("c", now)], {"at": 2}) == ["c"]
        assert record(ledger, [win("c", now), win("c", now)], {"at": 3}) == []
        assert ledger.count_wins() == 3
        assert ledger.cursor("code") == {"at": 3}


def test_local_day_uses_day_starts_at(tmp_path: Path) -> None:
    late = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # 00:30 on the 21st in Berlin
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        record(ledger, [win("late", late)])
        (stored,) = ledger.wins()
    assert stored.day.isoformat() == "2026-11-20"
    assert stored.to_json()["occurred_at"] == "2026-11-20T23:30:00+00:00"


def test_a_failing_moment_rolls_back_the_wins_and_cursor(tmp_path: Path) -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)

    def broken(db: object, new: object) -> list[Moment]:
        raise RuntimeError("boom")

    with Ledger(tmp_path / "l.sqlite3") as ledger:
        with pytest.raises(RuntimeError):
            ledger.record(
                "code",
                "git",
                [win("a", now)],
                {"at": 9},
                zone=ZONE,
                day_starts_at=time(4),
                moments_for=broken,
            )
        assert ledger.count_wins() == 0
        assert ledger.cursor("code") is None


def test_moments_are_told_once_and_outbox_backs_off(tmp_path: Path) -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    moment = Moment("summary", "summary:code", "Watching", "Found 3", now, now)
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        assert ledger.add_moment(moment, ["a", "b"])
        assert not ledger.add_moment(Moment("summary", "summary:code", "x", "y", now, now), ["a"])
        due = ledger.due(now, ["a", "b"])
        assert [d.target for d in due] == ["a", "b"]
        ledger.mark_failed([due[0].outbox_id], "a", "down", now + timedelta(minutes=1))
        ledger.mark_sent([due[1].outbox_id], "b")
        assert ledger.due(now, ["a", "b"]) == []
        assert [d.target for d in ledger.due(now + timedelta(minutes=2), ["a", "b"])] == ["a"]
        assert ledger.outbox_counts() == {"pending": 1, "failed": 1}
        assert ledger.next_due(["a"]) == now + timedelta(minutes=1)


def test_a_reader_brings_an_old_ledger_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.close()
    with Ledger(path, readonly=True) as ledger:
        assert ledger.schema_version == len(MIGRATIONS)
        assert ledger.rest_days() == []
