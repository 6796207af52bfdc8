"""Moving a whole ledger to another (SQLite to PostgreSQL, or back), a page of rows at a time.

Every implementation stores the same values alike (epoch seconds, JSON text, ISO days), so the
rows go across as they are, through ``export_rows`` and ``import_rows``; what is there already
(a win by its source and key, a moment by its dedupe key, an experiment by its name, goal
and start, ...) is left as it is, so a copy that
was stopped can be run again, and running it twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from smallwins.ledger.protocol import Ledger

# In this order: an outbox row names its moment, which must be there first.
TABLES = (
    "machines",
    "sources",
    "cursors",
    "rest_days",
    "targets",
    "wins",
    "moments",
    "outbox",
    "experiments",
)


@dataclass
class Copied:
    """How many rows of each table were read, and how many of them were new to the target."""

    read: dict[str, int] = field(default_factory=dict)
    added: dict[str, int] = field(default_factory=dict)


def rows_to_copy(source: Ledger) -> int:
    return sum(source.count_rows(table) for table in TABLES)


def copy_ledger(
    source: Ledger,
    target: Ledger,
    *,
    machine: str = "",
    progress: Callable[[int], None] = lambda _rows: None,
) -> Copied:
    """Copy every row of ``source`` that ``target`` lacks; ``progress`` is told how many rows
    each page held. Cursors are each machine's own: into a ledger of one machine (SQLite) go
    those of ``machine`` (or kept before there were machines), as that one machine's."""
    copied = Copied()
    for table in TABLES:
        after: int | None = 0
        while after is not None:
            rows, after = source.export_rows(table, after)
            if table == "cursors" and not target.shared:
                rows = [row for row in rows if row[0] in ("", machine)]
            copied.read[table] = copied.read.get(table, 0) + len(rows)
            copied.added[table] = copied.added.get(table, 0) + target.import_rows(table, rows)
            progress(len(rows))
    return copied
