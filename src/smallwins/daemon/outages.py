"""The daemon's side of a ledger outage (a full disk, a server that went away): told to the
person when it starts; when a write goes through again, what waited is sent, the spool is
drained into the ledger, and the sources are scanned again for what could not be recorded
(their cursors did not move)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smallwins.daemon.threads import in_thread
from smallwins.ledger.outage import LedgerOutage

if TYPE_CHECKING:
    from smallwins.daemon.daemon import Daemon


class DaemonOutage(LedgerOutage):
    def __init__(self, daemon: Daemon) -> None:
        super().__init__(
            daemon.paths.ledger_outage_file,
            daemon.ledger.location,
            # Told at once, not through the outbox: that is in the ledger that failed.
            started=lambda title, body: daemon.notifier.alert(title, body),
        )
        self.daemon = daemon

    def written(self) -> None:
        """A write went through: if the ledger could not be written, it can again. Callable
        from any thread."""
        if self.recovered() or self.daemon.spool.open:
            self.daemon.wake_delivery()
            self.daemon.call_soon(lambda: self.daemon.spawn(self._after()))

    async def _after(self) -> None:
        """What could not be recorded in the ledger: the spool's, then the sources' again."""
        await in_thread(self.daemon.spool.drain)
        await self.daemon.scanner.scan_all()
