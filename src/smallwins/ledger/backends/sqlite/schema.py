"""The SQLite ledger's schema, one migration per version (``PRAGMA user_version``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# Each entry moves the schema one version forward; never edit a released one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE wins (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        key TEXT NOT NULL,
        detector TEXT NOT NULL,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        ts REAL NOT NULL,
        day TEXT NOT NULL,
        value REAL NOT NULL,
        unit TEXT NOT NULL,
        tags TEXT NOT NULL,
        details TEXT NOT NULL,
        recorded_at REAL NOT NULL,
        UNIQUE (source, key)
    );
    CREATE INDEX wins_ts ON wins (ts);
    CREATE INDEX wins_source_ts ON wins (source, ts);
    CREATE INDEX wins_source_day ON wins (source, day);
    CREATE TABLE cursors (
        source TEXT PRIMARY KEY,
        detector TEXT NOT NULL,
        cursor TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE sources (
        name TEXT PRIMARY KEY,
        detector TEXT NOT NULL,
        last_scan_at REAL,
        last_ok_at REAL,
        last_error TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        paused_until REAL,
        problems TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE moments (
        id INTEGER PRIMARY KEY,
        dedupe_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        category TEXT NOT NULL,
        source TEXT,
        goal TEXT,
        grp TEXT,
        title TEXT NOT NULL,
        message TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at REAL NOT NULL,
        due_at REAL NOT NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        moment_id INTEGER NOT NULL REFERENCES moments (id),
        target TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        sent_at REAL,
        UNIQUE (moment_id, target)
    );
    CREATE INDEX outbox_pending ON outbox (status, target);
    CREATE TABLE targets (
        name TEXT PRIMARY KEY,
        failures INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        last_ok_at REAL
    );
    """,
    """
    CREATE TABLE rest_days (
        source TEXT NOT NULL,
        day TEXT NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (source, day, reason)
    );
    CREATE INDEX rest_days_day ON rest_days (day);
    """,
    # The coach's queries: a day's wins of a source, and moments by kind, category and group.
    """
    DROP INDEX wins_source_day;
    CREATE INDEX wins_source_day_ts ON wins (source, day, ts);
    CREATE INDEX wins_day ON wins (day, ts);
    CREATE INDEX moments_category ON moments (category, created_at);
    CREATE INDEX moments_grp ON moments (grp, created_at);
    CREATE INDEX moments_kind ON moments (kind);
    CREATE INDEX moments_kind_goal ON moments (kind, goal, created_at);
    """,
    # A message handed to a sender is frozen: its words are kept, and its rows (status
    # 'frozen') are re-sent as that message, word for word, until its outcome is known.
    """
    CREATE TABLE sends (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,
        kind TEXT NOT NULL,
        category TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        frozen_at REAL NOT NULL
    );
    ALTER TABLE outbox ADD COLUMN send_id INTEGER REFERENCES sends (id);
    CREATE INDEX outbox_send ON outbox (send_id);
    """,
    # Experiments: a change tried on a goal over a window of local days.
    """
    CREATE TABLE experiments (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        goal TEXT NOT NULL,
        start TEXT NOT NULL,
        days INTEGER NOT NULL,
        stopped TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX experiments_goal ON experiments (goal, start);
    """,
    # The machines (state folders) that record into the ledger. A file has one writer at a
    # time, so its cursors stay keyed by source: they are the one machine's.
    """
    CREATE TABLE machines (
        id TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        first_seen REAL NOT NULL,
        last_contact REAL NOT NULL,
        settings TEXT NOT NULL DEFAULT '{}'
    );
    """,
)


def outdated(path: Path) -> bool:
    """Whether the file's schema is older than this version's."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0]) < len(MIGRATIONS)
    finally:
        db.close()


def migrate(db: sqlite3.Connection) -> None:
    """Bring the schema up to date, inside the caller's write transaction."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        for statement in script.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {number}")
