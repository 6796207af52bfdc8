"""What the SQLite ledger promises beyond the contract: its file, its URLs, its migrations."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smallwins import Win
from smallwins.api.moment import Moment
from smallwins.config import load_config
from smallwins.errors import ConfigError
from smallwins.ledger import check_url, location, open_ledger, schemes, sqlite_url
from smallwins.ledger.backends.sqlite import path_of
from smallwins.ledger.backends.sqlite.schema import MIGRATIONS
from tests.cli_run import smallwins

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_the_file_is_wal_with_full_sync_and_versioned(tmp_path: Path) -> None:
    with open_ledger(sqlite_url(tmp_path / "l.sqlite3")) as ledger:
        assert ledger.schema_version == len(MIGRATIONS)
    db = sqlite3.connect(tmp_path / "l.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


@pytest.mark.parametrize("version", range(len(MIGRATIONS)))
def test_every_older_schema_is_brought_forward_keeping_its_wins(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "l.sqlite3"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        db.executescript(script)
    db.execute(f"PRAGMA user_version = {version}")
    if version:
        db.execute(
            "INSERT INTO wins (source, key, detector, kind, title, occurred_at, ts, day, value,"
            " unit, tags, details, recorded_at) VALUES ('code', 'old', 'git', 'commit', 'Old',"
            " ?, ?, '2026-11-20', 1, '', '[]', '{}', 0)",
            (NOW.isoformat(), NOW.timestamp()),
        )
        db.execute("INSERT INTO cursors VALUES ('code', 'git', '{\"at\": 1}', 0)")
    db.commit()
    db.close()
    # A reader brings it forward too, so `wins` and `status` need not know old schemas.
    with open_ledger(sqlite_url(path), readonly=True) as reader:
        assert reader.schema_version == len(MIGRATIONS)
        assert [w.key for w in reader.wins()] == (["old"] if version else [])
        assert reader.rest_days() == []
    with open_ledger(sqlite_url(path)) as ledger:
        assert ledger.join("m-one", "laptop")
        assert ledger.cursor("code") == ({"at": 1} if version else None)
        win = Win(key="new", title="New", occurred_at=NOW)
        new = ledger.record("code", "git", [win], None, zone=ZoneInfo("UTC"), day_starts_at=time(4))
        assert [w.key for w in new] == ["new"]


def test_urls_as_sqlalchemy_writes_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert path_of("sqlite:////abs/l.sqlite3") == Path("/abs/l.sqlite3")
    assert path_of("sqlite:///rel/l.sqlite3") == Path("rel/l.sqlite3")
    assert path_of("sqlite:///~/l.sqlite3") == tmp_path / "l.sqlite3"
    assert path_of("sqlite://") is None and path_of("sqlite:///:memory:") is None
    assert sqlite_url(Path("/abs/l.sqlite3")) == "sqlite:////abs/l.sqlite3"
    assert location("sqlite:///~/l.sqlite3") == str(tmp_path / "l.sqlite3")
    assert "sqlite" in schemes()
    with pytest.raises(ValueError, match=r"sqlite://"):
        check_url("mysql://me@host/db")


def test_a_relative_url_is_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_ledger("sqlite:///here.sqlite3") as ledger:
        assert ledger.count_wins() == 0
    assert (tmp_path / "here.sqlite3").exists()


def test_the_ledger_url_and_the_older_path_form_in_the_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[ledger]\nurl = "sqlite:////var/x.sqlite3"\n')
    assert load_config(config).settings.ledger.url == "sqlite:////var/x.sqlite3"
    config.write_text('ledger = "~/Sync/ledger.sqlite3"\n')
    assert load_config(config).settings.ledger.url == "sqlite:///~/Sync/ledger.sqlite3"
    config.write_text('timezone = "UTC"\n\n[ledger]\nurl = "mysql://me@host/db"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert f"{config}:4: ledger.url" in str(caught.value)
    assert "sqlite://" in str(caught.value)


def test_an_unknown_scheme_is_a_config_error(home: Path) -> None:
    (home / "config.toml").write_text('[ledger]\nurl = "mongodb://localhost/wins"\n')
    done = smallwins("check-config", env=dict(os.environ))
    assert done.returncode == 78
    assert "ledger.url" in done.stderr and "sqlite://" in done.stderr
    assert "Traceback" not in done.stderr


def test_wins_and_status_read_the_configured_url(home: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "wins.sqlite3"
    (home / "config.toml").write_text(f'[ledger]\nurl = "{sqlite_url(elsewhere)}"\n')
    env = dict(os.environ)
    assert "ledger is empty" in smallwins("wins", env=env).stdout
    with open_ledger(sqlite_url(elsewhere)) as ledger:
        win = Win(key="a", title="Kept elsewhere", occurred_at=NOW)
        ledger.record("code", "git", [win], None, zone=ZoneInfo("UTC"), day_starts_at=time(4))
    assert "Kept elsewhere" in smallwins("wins", env=env).stdout
    status = smallwins("status", env=env).stdout
    assert f"ledger: {elsewhere}" in status
    assert not (home / "data" / "ledger.sqlite3").exists()


def test_a_long_history_gets_a_page_cache_for_its_write_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smallwins.ledger.backends.sqlite import SqliteLedger, store

    monkeypatch.setattr(store, "BULK_ROWS", 3)
    wins = [Win(key=str(n), title=f"win {n}", occurred_at=NOW) for n in range(5)]
    with SqliteLedger(tmp_path / "l.sqlite3") as ledger:
        (default,) = ledger._one("PRAGMA cache_size")
        sizes: list[int] = []

        def while_written(_view: object, _new: object) -> list[Moment]:
            sizes.append(ledger._one("PRAGMA cache_size")[0])
            return []

        utc = ZoneInfo("UTC")
        new = ledger.record(
            "code", "git", wins, None, zone=utc, day_starts_at=time(4), moments_for=while_written
        )
        assert len(new) == 5 and sizes == [-5]  # about 1 KiB a row while it is written
        assert ledger._one("PRAGMA cache_size") == (default,)  # and its own size after


def test_a_batch_larger_than_the_table_remakes_its_indexes_in_the_same_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smallwins.ledger.backends.sqlite import SqliteLedger, batch

    monkeypatch.setattr(batch, "REBUILD_ROWS", 3)
    utc = ZoneInfo("UTC")

    def wins(*keys: str) -> list[Win]:
        return [Win(key=k, title=f"win {k}", occurred_at=NOW) for k in keys]

    indexes = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'wins'"
    with SqliteLedger(tmp_path / "l.sqlite3") as ledger:
        made = sorted(ledger._rows(indexes))
        seen: list[list[object]] = []

        def while_written(_view: object, _new: object) -> list[Moment]:
            seen.append(sorted(ledger._rows(indexes)))  # inside the write, after the insert
            return []

        assert (
            len(
                ledger.record(
                    "code",
                    "git",
                    wins("a", "b", "c", "d"),
                    None,
                    zone=utc,
                    day_starts_at=time(4),
                    moments_for=while_written,
                )
            )
            == 4
        )
        assert (
            len(
                ledger.record(
                    "code",
                    "git",
                    wins("a", "e", "f", "g", "h"),
                    None,
                    zone=utc,
                    day_starts_at=time(4),
                    moments_for=while_written,
                )
            )
            == 4
        )
        assert seen == [made, made] and len(made) == 5
        assert ledger._one("PRAGMA integrity_check") == ("ok",)
        assert [w.key for w in ledger.wins(sources=["code"])] == list("abcdefgh")
        query = "SELECT id FROM wins WHERE source = 'code' AND day = '2026-11-20'"
        plan = " ".join(row[-1] for row in ledger._rows(f"EXPLAIN QUERY PLAN {query}"))
        assert "wins_source_day_ts" in plan


def test_ledger_status_names_the_one_machine(home: Path) -> None:
    import json

    assert smallwins("run", "--once", cwd=home, env=dict(os.environ)).returncode == 0
    done = smallwins("ledger", "status", "--json", env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    machine = (home / "state" / "machine").read_text().strip()
    assert found["ledger"] == str(home / "data" / "ledger.sqlite3")
    assert found["schema_version"] == len(MIGRATIONS) and not found["shared"]
    assert found["machine"] == found["lead"] == machine
    assert [m["id"] for m in found["machines"]] == [machine]
    text = smallwins("ledger", "status", env=dict(os.environ)).stdout
    assert f"{machine}  " in text and "(this, lead)" in text
