"""Machines in SQLite: a file is written by one daemon at a time, so one machine, the lead."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from smallwins.ledger.backends.sqlite.connection import Connected
from smallwins.ledger.records import MachineState


class MachineStore(Connected):
    _machine = ""

    @property
    def shared(self) -> bool:
        return False

    @property
    def machine(self) -> str:
        return self._machine

    def join(self, machine: str, label: str) -> bool:
        # The lock beside the file keeps a second daemon out, whatever its machine.
        self._machine = machine
        self._note_contact(label)
        return True

    def _note_contact(self, label: str | None = None) -> None:
        now = time.time()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO machines (id, label, first_seen, last_contact) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET last_contact = excluded.last_contact,"
                " label = COALESCE(?, label)",
                (self._machine, label or "", now, now, label),
            )

    def machines(self) -> list[MachineState]:
        return [
            MachineState(
                row[0],
                row[1],
                datetime.fromtimestamp(row[2], UTC),
                datetime.fromtimestamp(row[3], UTC),
            )
            for row in self._rows(
                "SELECT id, label, first_seen, last_contact FROM machines"
                " ORDER BY last_contact DESC, id"
            )
        ]

    def heartbeat(self, lease_seconds: float) -> bool:
        if self._machine:
            self._note_contact()
        return True

    def lead(self) -> str | None:
        if self._machine:
            return self._machine
        row = self._one("SELECT id FROM machines ORDER BY last_contact DESC LIMIT 1")
        return row[0] if row else None
