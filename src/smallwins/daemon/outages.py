"""The daemon's side of a ledger outage (a full disk, a server that went away): told to the
person when it starts; when a write goes through again, what waited is sent and the sources
are scanned again for what could not be recorded (their cursors did not move)."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
        if self.recovered():
            self.daemon.wake_delivery()
            self.daemon.call_soon(lambda: self.daemon.spawn(self.daemon.scanner.scan_all()))
