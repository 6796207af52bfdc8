"""The ledger implementations the contract suite runs over, each as a fresh, empty URL
(PostgreSQL's on a server the test session starts: see tests/postgres.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from smallwins.ledger import sqlite_url
from tests.postgres import postgresql_ledger


def sqlite_ledger(folder: Path) -> str:
    return sqlite_url(folder / "ledger.sqlite3")


# name -> a function that makes a fresh ledger's URL in a folder of the test's own.
IMPLEMENTATIONS: dict[str, Callable[[Path], str]] = {
    "postgresql": postgresql_ledger,
    "sqlite": sqlite_ledger,
}
