"""Experiments, in PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from typing import Any

from smallwins.ledger.backends.postgresql.connection import Connected
from smallwins.ledger.records import Experiment

_COLUMNS = "id, name, goal, start, days, stopped"


def _experiment(row: Sequence[Any]) -> Experiment:
    return Experiment(
        id=row[0], name=row[1], goal=row[2], start=row[3], days=row[4], stopped=row[5]
    )


class ExperimentStore(Connected):
    def experiments(self, goal: str | None = None) -> list[Experiment]:
        where, params = ("WHERE goal = %s", [goal]) if goal is not None else ("", [])
        rows = self._rows(f"SELECT {_COLUMNS} FROM experiments {where} ORDER BY start, id", params)
        return [_experiment(row) for row in rows]

    def add_experiment(self, name: str, goal: str, start: date, days: int) -> Experiment:
        with self.transaction() as db:
            (found,) = db.execute(
                "INSERT INTO experiments (name, goal, start, days, created_at)"
                " VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (name, goal, start, days, time.time()),
            ).fetchall()
        return Experiment(int(found[0]), name, goal, start, days)

    def stop_experiment(self, experiment_id: int, last_day: date) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE experiments SET stopped = %s WHERE id = %s", (last_day, experiment_id)
            )

    def remove_experiment(self, experiment_id: int) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM experiments WHERE id = %s", (experiment_id,))
