"""Wins, cursors, rest days and each source's last scan, in SQLite."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from smallwins.api.detector import RestDay
from smallwins.api.win import Win
from smallwins.ledger.backends.sqlite.connection import Connected, marks
from smallwins.ledger.records import DayTotal, News, SourceState, StoredWin, WinMark, dumps
from smallwins.ledger.rows import SOURCE_COLUMNS, revised_fields, source_state, ts

WIN_COLUMNS = "id, source, detector, key, kind, title, occurred_at, day, value, unit, tags, details"


def _stored(row: Sequence[Any]) -> StoredWin:
    return StoredWin(
        id=row[0],
        source=row[1],
        detector=row[2],
        key=row[3],
        kind=row[4],
        title=row[5],
        occurred_at=datetime.fromisoformat(row[6]),
        day=date.fromisoformat(row[7]),
        value=row[8],
        unit=row[9],
        tags=tuple(json.loads(row[10])),
        details=json.loads(row[11]),
    )


def _where(clauses: list[tuple[str, Sequence[Any]]]) -> tuple[str, list[Any]]:
    """``WHERE a AND b`` from the clauses given, and their parameters in order."""
    if not clauses:
        return "", []
    params = [p for _, values in clauses for p in values]
    return "WHERE " + " AND ".join(sql for sql, _ in clauses), params


def _sources_clause(
    sources: Sequence[str] | None, excluding: Sequence[int] = ()
) -> list[tuple[str, Sequence[Any]]]:
    clauses: list[tuple[str, Sequence[Any]]] = []
    if sources is not None:
        clauses.append((f"source IN ({marks(sources)})", list(sources)))
    if excluding:
        clauses.append((f"id NOT IN ({marks(excluding)})", list(excluding)))
    return clauses


class WinStore(Connected):
    # -- reading -------------------------------------------------------------------------

    def cursor(self, source: str) -> Any:
        row = self._one("SELECT cursor FROM cursors WHERE source = ?", (source,))
        return json.loads(row[0]) if row else None

    def wins(
        self,
        *,
        since: datetime | None = None,
        sources: Sequence[str] | None = None,
        days: tuple[date, date] | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        excluding: Sequence[int] = (),
    ) -> list[StoredWin]:
        clauses = _sources_clause(sources, excluding)
        if since is not None:
            clauses.append(("ts >= ?", [since.timestamp()]))
        if days is not None:
            clauses.append(("day BETWEEN ? AND ?", [days[0].isoformat(), days[1].isoformat()]))
        where, params = _where(clauses)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT {WIN_COLUMNS} FROM wins {where} ORDER BY ts {order}, id {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_stored(row) for row in self._rows(sql, params)]

    def count_wins(
        self, source: str | None = None, *, day: date | None = None, until: datetime | None = None
    ) -> int:
        clauses = _sources_clause([source] if source is not None else None)
        if day is not None:
            clauses.append(("day = ?", [day.isoformat()]))
        if until is not None:
            clauses.append(("ts <= ?", [until.timestamp()]))
        where, params = _where(clauses)
        return int(self._one(f"SELECT COUNT(*) FROM wins {where}", params)[0])

    def day_totals(
        self, sources: Sequence[str], *, excluding: Sequence[int] = ()
    ) -> list[DayTotal]:
        where, params = _where(_sources_clause(sources, excluding))
        return [
            DayTotal(date.fromisoformat(day), kind, count, total, largest)
            for day, kind, count, total, largest in self._rows(
                f"SELECT day, kind, COUNT(*), SUM(value), MAX(value) FROM wins {where}"
                " GROUP BY day, kind",
                params,
            )
        ]

    def win_marks(self, sources: Sequence[str], *, excluding: Sequence[int] = ()) -> list[WinMark]:
        where, params = _where(_sources_clause(sources, excluding))
        return [
            WinMark(source, date.fromisoformat(day), kind, value, tuple(json.loads(tags)))
            for source, day, kind, value, tags in self._rows(
                f"SELECT source, day, kind, value, tags FROM wins {where}", params
            )
        ]

    def news_mark(self) -> int:
        # One machine records into a SQLite ledger, so ids go up in the order of commits (but
        # for the id of the newest win, when it is taken back: the next win may get it again;
        # no coach asks a ledger that is not shared for news).
        return int(self._one("SELECT COALESCE(MAX(id), 0) FROM wins", ())[0])

    def news_since(self, mark: int, *, excluding: Sequence[int] = ()) -> News:
        rows = self._rows(f"SELECT {WIN_COLUMNS} FROM wins WHERE id > ? ORDER BY ts, id", (mark,))
        skip = set(excluding)  # a first scan's thousands: more than a statement may name
        wins = [_stored(row) for row in rows if row[0] not in skip]
        return News(max(mark, self.news_mark()), wins, frozenset())

    def rest_days(
        self,
        *,
        sources: Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[tuple[str, RestDay]]:
        clauses = _sources_clause(sources)
        if since is not None:
            clauses.append(("day >= ?", [since.isoformat()]))
        if until is not None:
            clauses.append(("day <= ?", [until.isoformat()]))
        where, params = _where(clauses)
        rows = self._rows(
            f"SELECT source, day, reason FROM rest_days {where} ORDER BY day, source, reason",
            params,
        )
        return [(row[0], RestDay(date.fromisoformat(row[1]), row[2])) for row in rows]

    # -- writing, inside ``record``'s transaction ------------------------------------------

    @staticmethod
    def _save_cursor(db: sqlite3.Connection, source: str, detector: str, cursor: Any) -> None:
        db.execute(
            "INSERT INTO cursors (source, detector, cursor, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET"
            " detector = excluded.detector, cursor = excluded.cursor,"
            " updated_at = excluded.updated_at",
            (source, detector, dumps(cursor), time.time()),
        )

    @staticmethod
    def _replace_rest_days(
        db: sqlite3.Connection, source: str, rest_days: Sequence[RestDay]
    ) -> None:
        db.execute("DELETE FROM rest_days WHERE source = ?", (source,))
        db.executemany(
            "INSERT OR IGNORE INTO rest_days (source, day, reason) VALUES (?, ?, ?)",
            [(source, r.day.isoformat(), r.reason) for r in rest_days],
        )

    def amend(
        self,
        source: str,
        *,
        revised: Iterable[Win] = (),
        withdrawn: Sequence[str] = (),
        zone: ZoneInfo,
        day_starts_at: dtime,
    ) -> int:
        rows = []
        for win in revised:
            fields = revised_fields(win, zone, day_starts_at)
            rows.append((*fields[:4], fields[4].isoformat(), *fields[5:], source, win.key))
        changed = 0
        with self.transaction() as db:
            for row in rows:
                changed += db.execute(
                    "UPDATE wins SET kind = ?, title = ?, occurred_at = ?, ts = ?, day = ?,"
                    " value = ?, unit = ?, tags = ?, details = ? WHERE source = ? AND key = ?",
                    row,
                ).rowcount
            for key in withdrawn:
                changed += db.execute(
                    "DELETE FROM wins WHERE source = ? AND key = ?", (source, key)
                ).rowcount
        return changed

    # -- each source's last scan ---------------------------------------------------------

    def note_scan(
        self,
        source: str,
        detector: str,
        *,
        error: str | None,
        problems: Sequence[str] = (),
        paused_until: datetime | None = None,
    ) -> int:
        now = time.time()
        with self.transaction() as db:
            row = db.execute("SELECT failures FROM sources WHERE name = ?", (source,)).fetchone()
            failures = 0 if error is None else (row[0] if row else 0) + 1
            db.execute(
                "INSERT INTO sources (name, detector, last_scan_at, last_ok_at, last_error,"
                " failures, paused_until, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET detector = excluded.detector,"
                " last_scan_at = excluded.last_scan_at,"
                " last_ok_at = COALESCE(excluded.last_ok_at, sources.last_ok_at),"
                " last_error = excluded.last_error, failures = excluded.failures,"
                " paused_until = excluded.paused_until, problems = excluded.problems",
                (
                    source,
                    detector,
                    now,
                    now if error is None else None,
                    error,
                    failures,
                    ts(paused_until),
                    dumps(list(problems)[-20:]),
                ),
            )
        return failures

    def source_state(self, name: str) -> SourceState | None:
        states = self._states("WHERE name = ?", (name,), counts={})
        return states[0] if states else None

    def source_states(self) -> list[SourceState]:
        counts = dict(self._rows("SELECT source, COUNT(*) FROM wins GROUP BY source"))
        return self._states("", (), counts)

    def _states(
        self, where: str, params: tuple[Any, ...], counts: dict[str, int]
    ) -> list[SourceState]:
        rows = self._rows(f"SELECT {SOURCE_COLUMNS} FROM sources {where} ORDER BY name", params)
        return [source_state(row, counts) for row in rows]
