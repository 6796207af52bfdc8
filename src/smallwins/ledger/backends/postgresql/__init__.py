"""The ledger on a PostgreSQL server: ``postgresql://user@host:port/database`` (or
``postgresql+psycopg://``), any libpq option in the query (``?sslmode=verify-full``).

The password is best kept out of the URL: libpq reads ``PGPASSWORD`` and its password file
(``~/.pgpass``, or ``?passfile=PATH``), and ``?password_file=PATH`` names a file holding the
password alone. Wherever it comes from, it never appears in ``location`` or in the log.

psycopg (the ``postgresql`` extra) is imported only when such a ledger is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smallwins.errors import ConfigError
from smallwins.ledger.backends.postgresql.address import Address

if TYPE_CHECKING:
    from smallwins.ledger.protocol import Ledger

__all__ = ["location", "open_ledger"]


def open_ledger(url: str, *, readonly: bool = False) -> Ledger:
    address = Address.parse(url)
    try:
        from smallwins.ledger.backends.postgresql.store import PostgresLedger
    except ImportError as exc:
        if exc.name != "psycopg" and not (exc.name or "").startswith("psycopg."):
            raise
        raise ConfigError(
            f"the ledger {address.location} is on PostgreSQL, and its driver is not installed:"
            " pip install 'smallwins[postgresql]'"
        ) from None
    return PostgresLedger(address, readonly=readonly)


def location(url: str) -> str:
    return Address.parse(url).location
