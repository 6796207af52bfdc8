"""Frozen messages in PostgreSQL: the words a sender was handed, kept until the outcome is known."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from smallwins.ledger.backends.postgresql.connection import LEADING, Connected
from smallwins.ledger.records import FrozenSend


class _Taken(Exception):
    """Another daemon claimed some of the rows first: the claim is rolled back."""


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
        ids = sorted(set(outbox_ids))
        try:
            with self.transaction() as db:
                # Fencing: the lease is checked (and its row locked) in the claim's own
                # transaction, so a lead whose lease ran out claims nothing.
                lease = f"{LEADING} FOR SHARE"
                if shared and self._machine and not db.execute(lease, (self._machine,)).fetchall():
                    return None
                (send_id,) = db.execute(
                    "INSERT INTO sends (target, kind, category, title, body, frozen_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                    (target, kind, category, title, body, time.time()),
                ).fetchall()[0]
                claimed = db.execute(
                    "UPDATE outbox SET status = 'frozen', send_id = %s"
                    " WHERE id = ANY(%s::bigint[]) AND status = 'pending'",
                    (send_id, ids),
                ).rowcount
                if claimed != len(ids):
                    raise _Taken
                return int(send_id)
        except _Taken:
            return None

    def frozen(
        self, now: datetime, targets: Sequence[str], *, shared: Sequence[str] = ()
    ) -> list[FrozenSend]:
        if not targets:
            return []
        here, params = self._told_here(shared)
        rows = self._rows(
            "SELECT s.id, s.target, s.kind, s.category, s.title, s.body, array_agg(o.id),"
            # A message of one moment carries its picture; a fold of several never had one.
            " CASE WHEN COUNT(o.id) = 1 THEN MAX(m.payload::json ->> 'picture') END"
            " FROM sends s JOIN outbox o ON o.send_id = s.id"
            " JOIN moments m ON m.id = o.moment_id"
            " LEFT JOIN targets t ON t.name = s.target"
            " WHERE o.status = 'frozen' AND s.target = ANY(%s::text[])"
            f" AND COALESCE(t.next_attempt_at, 0) <= %s{here} GROUP BY s.id ORDER BY s.id",
            (list(targets), now.timestamp(), *params),
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
