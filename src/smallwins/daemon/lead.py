"""This machine's part in the lead of a shared ledger: a lease renewed by heartbeat.

On a shared (PostgreSQL) ledger one machine, the lead, tells the person's moments and runs the
coach's clock (digests, setbacks, the days that ended); the others tell their own live wins.
Whoever renews the lease keeps the lead; when the lead stops renewing (stopped, killed, or cut
off from the server) the lease runs out and the next machine to beat takes it. A ledger that
is not shared has one machine, always the lead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from smallwins.daemon.threads import in_thread

if TYPE_CHECKING:
    from smallwins.daemon.daemon import Daemon

log = logging.getLogger("smallwins.daemon")


class Lead:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.leading = not daemon.ledger.shared

    @property
    def lease_seconds(self) -> float:
        return self.daemon.config.settings.ledger.lease_seconds

    def beat(self) -> bool:
        """Renew (or take) the lead; whether this machine leads now. A ledger that cannot be
        reached is no lead: the claim of a moment would fail the same way."""
        ledger = self.daemon.ledger
        if not ledger.shared:
            return True
        try:
            leading = ledger.heartbeat(self.lease_seconds)
            self.daemon.outage.written()  # a server that was away is back
        except Exception as exc:  # the next beat tries again
            if not self.daemon.outage.failed(exc):
                log.error("could not renew the lead: %r", exc)
            leading = False
        if leading != self.leading:
            if leading:
                log.info("this machine (%s) leads: it tells the person's moments", ledger.machine)
            else:
                # Not asked of the ledger: it may be what was lost.
                log.info("this machine does not lead: it tells its own wins")
        self.leading = leading
        return leading

    async def loop(self) -> None:
        """Beat a few times a lease until the daemon stops; while leading, look at the outbox
        on each beat, for the moments other machines made."""
        if not self.daemon.ledger.shared:
            return
        while not self.daemon.stopping:
            was = self.leading
            if await in_thread(self.beat):
                self.daemon.wake_delivery()
                if not was:
                    self.daemon.spawn(self.daemon.tick())
            if await self.daemon.rest(self.lease_seconds / 3):
                return
