"""Machines and the lead in PostgreSQL.

A daemon holds a session advisory lock named by its machine while connected, so a second
daemon of the same machine (a state folder copied to another host) is refused, and the lock
goes when the first one's connection does. The lead is the machine whose row in ``lease``
has not expired by the server's clock, the one clock every machine shares.
"""

from __future__ import annotations

from typing import Any

from smallwins.ledger.backends.postgresql.connection import Connected, take_machine_lock
from smallwins.ledger.records import MachineState, dumps
from smallwins.ledger.rows import MACHINES_QUERY, machine_state

NOW = "EXTRACT(EPOCH FROM clock_timestamp())"
# The lease is this machine's and has not run out: checked inside the claim of a moment of
# the person's, so a lead that lost its lease (or the server) tells nothing more.
LEADING = (
    f"EXISTS (SELECT 1 FROM lease WHERE name = 'lead' AND machine = %s AND expires_at > {NOW})"
)


class MachineStore(Connected):
    @property
    def shared(self) -> bool:
        return True

    @property
    def machine(self) -> str:
        return self._machine

    def join(self, machine: str, label: str, settings: dict[str, Any] | None = None) -> bool:
        with self._server() as conn:
            if not take_machine_lock(conn, machine):
                return False
            self._machine = machine
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO machines (id, label, first_seen, last_contact, settings)"
                    f" VALUES (%s, %s, {NOW}, {NOW}, %s) ON CONFLICT (id) DO UPDATE SET"
                    " label = excluded.label, last_contact = excluded.last_contact,"
                    " settings = excluded.settings",
                    (machine, label, dumps(settings or {})),
                )
                # Cursors kept before there were machines are the first machine's.
                db.execute(
                    "UPDATE cursors SET machine = %s WHERE machine = '' AND source NOT IN"
                    " (SELECT source FROM cursors WHERE machine = %s)",
                    (machine, machine),
                )
        return True

    def machines(self) -> list[MachineState]:
        return [machine_state(row) for row in self._rows(MACHINES_QUERY)]

    def heartbeat(self, lease_seconds: float) -> bool:
        if not self._machine:
            return False
        with self.transaction() as db:
            db.execute(f"UPDATE machines SET last_contact = {NOW} WHERE id = %s", (self._machine,))
            row = db.execute(
                "INSERT INTO lease AS l (name, machine, expires_at, term)"
                f" VALUES ('lead', %s, {NOW} + %s, 1) ON CONFLICT (name) DO UPDATE SET"
                " machine = excluded.machine, expires_at = excluded.expires_at,"
                " term = l.term + CASE WHEN l.machine = excluded.machine THEN 0 ELSE 1 END"
                f" WHERE l.machine = excluded.machine OR l.expires_at <= {NOW}"
                " RETURNING l.machine",
                (self._machine, lease_seconds),
            ).fetchone()
        return row is not None

    def lead(self) -> str | None:
        row = self._one(f"SELECT machine FROM lease WHERE name = 'lead' AND expires_at > {NOW}")
        return row[0] if row else None

    def resign(self) -> None:
        """Give up the lead at once (a clean stop), so another machine need not wait for
        the lease to run out."""
        if self._machine and not self._conn.closed:
            with self.transaction() as db:
                db.execute(
                    "UPDATE lease SET expires_at = 0 WHERE name = 'lead' AND machine = %s",
                    (self._machine,),
                )
