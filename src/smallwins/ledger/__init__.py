"""The progress ledger: wins, cursors, moments and the outbox, behind one interface.

Open one with ``open_ledger(url)``; the URL's scheme picks the implementation (see
``smallwins.ledger.backends``). Everything else asks it by name (``protocol.Ledger``).
"""

from smallwins.ledger.protocol import Ledger, LedgerView, WinBatch
from smallwins.ledger.records import (
    DayTotal,
    Experiment,
    FrozenSend,
    MachineState,
    News,
    PendingDelivery,
    SetbackMark,
    SourceState,
    StoredWin,
    TargetState,
    WinMark,
)
from smallwins.ledger.url import (
    LedgerNotFound,
    LedgerUnreachable,
    check_url,
    location,
    lock_file,
    open_ledger,
    schemes,
    sqlite_url,
)

MEMORY_URL = "sqlite://"

__all__ = [
    "MEMORY_URL",
    "DayTotal",
    "Experiment",
    "FrozenSend",
    "Ledger",
    "LedgerNotFound",
    "LedgerUnreachable",
    "LedgerView",
    "MachineState",
    "News",
    "PendingDelivery",
    "SetbackMark",
    "SourceState",
    "StoredWin",
    "TargetState",
    "WinBatch",
    "WinMark",
    "check_url",
    "location",
    "lock_file",
    "open_ledger",
    "schemes",
    "sqlite_url",
]
