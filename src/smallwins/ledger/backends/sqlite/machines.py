"""Machines in SQLite: a file is written by one daemon at a time, so one machine, the lead."""

from __future__ import annotations

import time
from typing import Any

from smallwins.ledger.backends.sqlite.connection import Connected
from smallwins.ledger.records import MachineState, dumps
from smallwins.ledger.rows import MACHINES_QUERY, machine_state


class MachineStore(Connected):
    _machine = ""

    @property
    def shared(self) -> bool:
        return False

    @property
    def machine(self) -> str:
        return self._machine

    def join(self, machine: str, label: str, settings: dict[str, Any] | None = None) -> bool:
        # The lock beside the file keeps a second daemon out, whatever its machine.
        self._machine = machine
        now = time.time()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO machines (id, label, first_seen, last_contact, settings)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " label = excluded.label, last_contact = excluded.last_contact,"
                " settings = excluded.settings",
                (machine, label, now, now, dumps(settings or {})),
            )
        return True

    def machines(self) -> list[MachineState]:
        return [machine_state(row) for row in self._rows(MACHINES_QUERY)]

    def heartbeat(self, lease_seconds: float) -> bool:
        if self._machine:
            with self.transaction() as db:
                db.execute(
                    "UPDATE machines SET last_contact = ? WHERE id = ?",
                    (time.time(), self._machine),
                )
        return True

    def lead(self) -> str | None:
        if self._machine:
            return self._machine
        row = self._one("SELECT id FROM machines ORDER BY last_contact DESC LIMIT 1")
        return row[0] if row else None
