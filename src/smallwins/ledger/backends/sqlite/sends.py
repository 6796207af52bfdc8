"""Frozen messages in SQLite: the words a sender was handed, kept until the outcome is known."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime

from smallwins.ledger.backends.sqlite.connection import Connected, marks
from smallwins.ledger.records import FrozenSend


class SendStore(Connected):
    def freeze(
        self,
        outbox_ids: Sequence[int],
        target: str,
        *,
        kind: str,
        category: str,
        title: str,
        body: str,
        shared: bool = False,
    ) -> int | None:
        with self.transaction() as db:
            send_id = int(
                db.execute(
                    "INSERT INTO sends (target, kind, category, title, body, frozen_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    (target, kind, category, title, body, time.time()),
                ).fetchone()[0]
            )
            db.executemany(
                "UPDATE outbox SET status = 'frozen', send_id = ? WHERE id = ?",
                [(send_id, oid) for oid in outbox_ids],
            )
            return send_id

    def frozen(
        self, now: datetime, targets: Sequence[str], *, shared: Sequence[str] = ()
    ) -> list[FrozenSend]:
        if not targets:
            return []
        rows = self._rows(
            "SELECT s.id, s.target, s.kind, s.category, s.title, s.body, group_concat(o.id),"
            # A message of one moment carries its picture; a fold of several never had one.
            " CASE WHEN COUNT(o.id) = 1 THEN MAX(json_extract(m.payload, '$.picture')) END"
            " FROM sends s JOIN outbox o ON o.send_id = s.id"
            " JOIN moments m ON m.id = o.moment_id"
            " LEFT JOIN targets t ON t.name = s.target"
            f" WHERE o.status = 'frozen' AND s.target IN ({marks(targets)})"
            " AND COALESCE(t.next_attempt_at, 0) <= ? GROUP BY s.id ORDER BY s.id",
            (*targets, now.timestamp()),
        )
        return [
            FrozenSend(
                send_id=row[0],
                target=row[1],
                kind=row[2],
                category=row[3],
                title=row[4],
                body=row[5],
                outbox_ids=tuple(sorted(int(i) for i in row[6].split(","))),
                picture=json.loads(row[7]) if row[7] else None,
            )
            for row in rows
        ]

    @staticmethod
    def _thaw(db: sqlite3.Connection, outbox_ids: Sequence[int]) -> None:
        if not outbox_ids:
            return
        sends = {
            row[0]
            for row in db.execute(
                f"SELECT DISTINCT send_id FROM outbox WHERE id IN ({marks(outbox_ids)})"
                " AND status = 'frozen'",
                tuple(outbox_ids),
            )
        }
        db.execute(
            "UPDATE outbox SET status = 'pending', send_id = NULL"
            f" WHERE id IN ({marks(outbox_ids)}) AND status = 'frozen'",
            tuple(outbox_ids),
        )
        db.executemany(
            "DELETE FROM sends WHERE id = ? AND NOT EXISTS"
            " (SELECT 1 FROM outbox WHERE send_id = sends.id)",
            [(send,) for send in sends],
        )
