"""Wins, cursors, rest days and each source's last scan, in PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from smallwins.api.detector import RestDay
from smallwins.api.win import Win
from smallwins.ledger.backends.postgresql.connection import Connected
from smallwins.ledger.records import DayTotal, News, SourceState, StoredWin, WinMark, dumps
from smallwins.ledger.rows import SOURCE_COLUMNS, revised_fields, source_state, ts

WIN_COLUMNS = "id, source, detector, key, kind, title, occurred_at, day, value, unit, tags, details"


def stored(row: Sequence[Any]) -> StoredWin:
    return StoredWin(
        id=row[0],
        source=row[1],
        detector=row[2],
        key=row[3],
        kind=row[4],
        title=row[5],
        occurred_at=datetime.fromisoformat(row[6]),
        day=row[7],
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
        clauses.append(("source = ANY(%s::text[])", [list(sources)]))
    if excluding:
        clauses.append(("NOT (id = ANY(%s::bigint[]))", [list(excluding)]))
    return clauses


class WinStore(Connected):
    # -- reading -------------------------------------------------------------------------

    def cursor(self, source: str) -> Any:
        row = self._one(
            "SELECT cursor FROM cursors WHERE machine = %s AND source = %s",
            (self._machine, source),
        )
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
            clauses.append(("ts >= %s", [since.timestamp()]))
        if days is not None:
            clauses.append(("day BETWEEN %s AND %s", [days[0], days[1]]))
        where, params = _where(clauses)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT {WIN_COLUMNS} FROM wins {where} ORDER BY ts {order}, id {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [stored(row) for row in self._rows(sql, params)]

    def count_wins(
        self, source: str | None = None, *, day: date | None = None, until: datetime | None = None
    ) -> int:
        clauses = _sources_clause([source] if source is not None else None)
        if day is not None:
            clauses.append(("day = %s", [day]))
        if until is not None:
            clauses.append(("ts <= %s", [until.timestamp()]))
        where, params = _where(clauses)
        return int(self._one(f"SELECT COUNT(*) FROM wins {where}", params)[0])

    def day_totals(
        self, sources: Sequence[str], *, excluding: Sequence[int] = ()
    ) -> list[DayTotal]:
        where, params = _where(_sources_clause(sources, excluding))
        return [
            DayTotal(day, kind, count, total, largest)
            for day, kind, count, total, largest in self._rows(
                f"SELECT day, kind, COUNT(*), SUM(value), MAX(value) FROM wins {where}"
                " GROUP BY day, kind",
                params,
            )
        ]

    def win_marks(self, sources: Sequence[str], *, excluding: Sequence[int] = ()) -> list[WinMark]:
        where, params = _where(_sources_clause(sources, excluding))
        return [
            WinMark(source, day, kind, value, tuple(json.loads(tags)))
            for source, day, kind, value, tags in self._rows(
                f"SELECT source, day, kind, value, tags FROM wins {where}", params
            )
        ]

    def news_mark(self) -> int:
        return int(self._one("SELECT COALESCE(MAX(seq), 0) FROM changes")[0])

    def news_since(self, mark: int, *, excluding: Sequence[int] = ()) -> News:
        rows = self._rows(
            "SELECT seq, source, wins, redraw FROM changes WHERE seq > %s ORDER BY seq", (mark,)
        )
        skip = set(excluding)
        ids = [n for _, _, listed, _ in rows for n in listed if n not in skip]
        redrawn = frozenset(source for _, source, _, redraw in rows if redraw)
        wins = (
            self._rows(
                f"SELECT {WIN_COLUMNS} FROM wins WHERE id = ANY(%s::bigint[]) ORDER BY ts, id",
                (ids,),
            )
            if ids
            else []
        )
        return News(rows[-1][0] if rows else mark, [stored(row) for row in wins], redrawn)

    def rest_days(
        self,
        *,
        sources: Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[tuple[str, RestDay]]:
        clauses = _sources_clause(sources)
        if since is not None:
            clauses.append(("day >= %s", [since]))
        if until is not None:
            clauses.append(("day <= %s", [until]))
        where, params = _where(clauses)
        rows = self._rows(
            f"SELECT source, day, reason FROM rest_days {where} ORDER BY day, source, reason",
            params,
        )
        return [(row[0], RestDay(row[1], row[2])) for row in rows]

    # -- writing, inside ``record``'s transaction ------------------------------------------

    def _save_cursor(
        self, db: psycopg.Connection[Any], source: str, detector: str, cursor: Any
    ) -> None:
        db.execute(
            "INSERT INTO cursors (machine, source, detector, cursor, updated_at)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (machine, source) DO UPDATE SET"
            " detector = excluded.detector, cursor = excluded.cursor,"
            " updated_at = excluded.updated_at",
            (self._machine, source, detector, dumps(cursor), time.time()),
        )

    @staticmethod
    def _replace_rest_days(
        db: psycopg.Connection[Any], source: str, rest_days: Sequence[RestDay]
    ) -> bool:
        """Replace the source's rest days; whether they changed."""
        old = db.execute(
            "SELECT day, reason FROM rest_days WHERE source = %s", (source,)
        ).fetchall()
        if {RestDay(day, reason) for day, reason in old} == set(rest_days):
            return False
        db.execute("DELETE FROM rest_days WHERE source = %s", (source,))
        if rest_days:
            with db.cursor() as cur:
                cur.executemany(
                    "INSERT INTO rest_days (source, day, reason) VALUES (%s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    [(source, r.day, r.reason) for r in rest_days],
                )
        return True

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
            rows.append((*fields[:4], fields[4], *fields[5:], source, win.key))
        changed = 0
        with self.transaction() as db:
            for row in rows:
                changed += db.execute(
                    "UPDATE wins SET kind = %s, title = %s, occurred_at = %s, ts = %s, day = %s,"
                    " value = %s, unit = %s, tags = %s, details = %s"
                    " WHERE source = %s AND key = %s",
                    row,
                ).rowcount
            if withdrawn:
                changed += db.execute(
                    "DELETE FROM wins WHERE source = %s AND key = ANY(%s)",
                    (source, list(withdrawn)),
                ).rowcount
            if changed:
                self._note_change(db, source, (), redraw=True)
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
        # One statement: two daemons noting the same source at once count both failures.
        with self.transaction() as db:
            row = db.execute(
                "INSERT INTO sources AS s (name, detector, last_scan_at, last_ok_at, last_error,"
                " failures, paused_until, problems) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (name) DO UPDATE SET detector = excluded.detector,"
                " last_scan_at = excluded.last_scan_at,"
                " last_ok_at = COALESCE(excluded.last_ok_at, s.last_ok_at),"
                " last_error = excluded.last_error,"
                " failures = CASE WHEN excluded.last_error IS NULL THEN 0 ELSE s.failures + 1 END,"
                " paused_until = excluded.paused_until, problems = excluded.problems"
                " RETURNING failures",
                (
                    source,
                    detector,
                    now,
                    now if error is None else None,
                    error,
                    0 if error is None else 1,
                    ts(paused_until),
                    dumps(list(problems)[-20:]),
                ),
            ).fetchone()
        return int(row[0]) if row else 0

    def source_state(self, name: str) -> SourceState | None:
        states = self._states("WHERE name = %s", (name,), counts={})
        return states[0] if states else None

    def source_states(self) -> list[SourceState]:
        counts = dict(self._rows("SELECT source, COUNT(*) FROM wins GROUP BY source"))
        return self._states("", (), counts)

    def _states(
        self, where: str, params: tuple[Any, ...], counts: dict[str, int]
    ) -> list[SourceState]:
        rows = self._rows(f"SELECT {SOURCE_COLUMNS} FROM sources {where} ORDER BY name", params)
        return [source_state(row, counts) for row in rows]
