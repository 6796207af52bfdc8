"""A scan's wins made into rows as the detector yields them, and inserted in one statement."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import date
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from smallwins.api.win import Win, local_day
from smallwins.ledger.backends.sqlite.connection import marks
from smallwins.ledger.records import StoredWin, encoder

CHUNK = 500  # SQLite's limit on ``?`` in one statement is far above; this keeps statements small
REBUILD_ROWS = 10_000  # from here on, a batch into a smaller table remakes the table's indexes


class SqliteBatch:
    """The wins of one scan of one source, each made into its row when it is added.

    ``add`` runs on the scan's thread while the detector still reads (a first scan's git log
    writes for most of a second): encoding the values there costs the scan little, and
    ``insert`` is then left with the statement alone. A key added twice keeps its first win.
    """

    def __init__(self, source: str, detector: str, *, zone: ZoneInfo, day_starts_at: dtime):
        self.source = source
        self.detector = detector
        self.zone = zone
        self.day_starts_at = day_starts_at
        self._wins: dict[str, Win] = {}
        self._rows: list[tuple[Any, ...]] = []
        # Made with the rows; their ids are filled in once the insert has given them.
        self._stored: list[StoredWin] = []
        self._encode = encoder()
        self._tags_json: dict[tuple[str, ...], str] = {}  # most wins of a source share their tags
        self._day_texts: dict[date, str] = {}

    def fits(self, source: str, detector: str, zone: ZoneInfo, day_starts_at: dtime) -> bool:
        return (self.source, self.detector, self.zone, self.day_starts_at) == (
            source,
            detector,
            zone,
            day_starts_at,
        )

    def __iter__(self) -> Iterator[Win]:
        return iter(self._wins.values())

    def __len__(self) -> int:
        return len(self._wins)

    def add(self, win: Win) -> None:
        key = win.key
        if key in self._wins:
            return
        self._wins[key] = win
        at = win.occurred_at
        ts = at.timestamp()
        day = local_day(at, self.zone, self.day_starts_at)
        day_text = self._day_texts.get(day)
        if day_text is None:  # a long history's wins fall on a few thousand days
            day_text = self._day_texts[day] = day.isoformat()
        tags = tuple(win.tags)
        tags_text = self._tags_json.get(tags)
        if tags_text is None:
            tags_text = self._tags_json[tags] = self._encode(list(tags))
        details = dict(win.details)
        value = float(win.value)
        source, detector = self.source, self.detector
        kind, title, unit = win.kind, win.title, win.unit
        self._rows.append(
            (
                source,
                key,
                detector,
                kind,
                title,
                at.isoformat(),
                ts,
                day_text,
                value,
                unit,
                tags_text,
                self._encode(details),
            )
        )
        self._stored.append(
            StoredWin(0, source, detector, key, kind, title, at, day, value, unit, tags, details)
        )

    def insert(self, db: sqlite3.Connection) -> list[StoredWin]:
        """Insert the wins whose key the source has not recorded; returns them as stored."""
        rows, stored = self._rows, self._stored
        # A source's first wins need no look-up: it has none recorded.
        if db.execute("SELECT 1 FROM wins WHERE source = ? LIMIT 1", (self.source,)).fetchone():
            existing = self._recorded(db)
            if existing:
                kept = [i for i, row in enumerate(rows) if row[1] not in existing]
                rows = [rows[i] for i in kept]
                stored = [stored[i] for i in kept]
        if not rows:
            return []
        first_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM wins").fetchone()[0] + 1
        # A first scan of a long history outweighs what the table holds: its index entries
        # are then made at once, sorted, after the rows, not one by one (0.8-0.9 s against
        # 0.9-1.2 s for 90,000 rows), in the same transaction, so a reader never sees the
        # table without them.
        rebuilt = []
        if len(rows) >= REBUILD_ROWS and len(rows) >= first_id:
            rebuilt = db.execute(
                "SELECT name, sql FROM sqlite_master"
                " WHERE type = 'index' AND tbl_name = 'wins' AND sql IS NOT NULL"
            ).fetchall()
            for name, _ in rebuilt:
                db.execute(f'DROP INDEX "{name}"')
        # The time of recording is one for all the rows: a literal, not a column of each.
        db.executemany(
            "INSERT INTO wins (source, key, detector, kind, title, occurred_at, ts, day,"
            " value, unit, tags, details, recorded_at)"
            f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {time.time()!r})",
            rows,
        )
        for _, sql in rebuilt:
            db.execute(sql)
        for number, win in enumerate(stored, start=first_id):
            win.id = number
        return stored

    def _recorded(self, db: sqlite3.Connection) -> set[str]:
        existing: set[str] = set()
        keys = list(self._wins)
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            existing.update(
                row[0]
                for row in db.execute(
                    f"SELECT key FROM wins WHERE source = ? AND key IN ({marks(chunk)})",
                    (self.source, *chunk),
                )
            )
        return existing
