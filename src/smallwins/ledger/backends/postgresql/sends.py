"""Frozen messages in PostgreSQL: the words a sender was handed, kept until the outcome is known."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from smallwins.ledger.backends.postgresql.connection import Connected
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
    ) -> int:
        with self.transaction() as db:
            (send_id,) = db.execute(
                "INSERT INTO sends (target, kind, category, title, body, frozen_at)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (target, kind, category, title, body, time.time()),
            ).fetchall()[0]
            db.execute(
                "UPDATE outbox SET status = 'frozen', send_id = %s WHERE id = ANY(%s::bigint[])",
                (send_id, list(outbox_ids)),
            )
            return int(send_id)

    def frozen(self, now: datetime, targets: Sequence[str]) -> list[FrozenSend]:
        if not targets:
            return []
        rows = self._rows(
            "SELECT s.id, s.target, s.kind, s.category, s.title, s.body, array_agg(o.id),"
            # A message of one moment carries its picture; a fold of several never had one.
            " CASE WHEN COUNT(o.id) = 1 THEN MAX(m.payload::json ->> 'picture') END"
            " FROM sends s JOIN outbox o ON o.send_id = s.id"
            " JOIN moments m ON m.id = o.moment_id"
            " LEFT JOIN targets t ON t.name = s.target"
            " WHERE o.status = 'frozen' AND s.target = ANY(%s::text[])"
            " AND COALESCE(t.next_attempt_at, 0) <= %s GROUP BY s.id ORDER BY s.id",
            (list(targets), now.timestamp()),
        )
        return [
            FrozenSend(
                send_id=row[0],
                target=row[1],
                kind=row[2],
                category=row[3],
                title=row[4],
                body=row[5],
                outbox_ids=tuple(sorted(row[6])),
                picture=json.loads(row[7]) if row[7] else None,
            )
            for row in rows
        ]

    @staticmethod
    def _thaw(db: psycopg.Connection[Any], outbox_ids: Sequence[int]) -> None:
        if not outbox_ids:
            return
        sends = {
            row[0]
            for row in db.execute(
                "SELECT DISTINCT send_id FROM outbox WHERE id = ANY(%s::bigint[])"
                " AND status = 'frozen'",
                (list(outbox_ids),),
            )
        }
        db.execute(
            "UPDATE outbox SET status = 'pending', send_id = NULL"
            " WHERE id = ANY(%s::bigint[]) AND status = 'frozen'",
            (list(outbox_ids),),
        )
        db.execute(
            "DELETE FROM sends WHERE id = ANY(%s::bigint[]) AND NOT EXISTS"
            " (SELECT 1 FROM outbox WHERE send_id = sends.id)",
            (list(sends),),
        )
