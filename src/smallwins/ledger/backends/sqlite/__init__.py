"""The ledger in SQLite: ``sqlite:///relative/path``, ``sqlite:////absolute/path``, or
``sqlite://`` in memory, as SQLAlchemy writes them; ``~`` is expanded."""

from __future__ import annotations

from pathlib import Path

from smallwins.ledger.backends.sqlite.store import MEMORY, SqliteLedger
from smallwins.ledger.protocol import Ledger
from smallwins.ledger.url import LedgerNotFound

__all__ = ["SqliteLedger", "location", "lock_file", "open_ledger", "path_of"]


def path_of(url: str) -> Path | None:
    """The file a ``sqlite://`` URL names; None for a ledger in memory."""
    rest = url.partition("://")[2]
    if rest in ("", "/", f"/{MEMORY}"):
        return None
    if not rest.startswith("/"):
        raise ValueError(
            f"{url!r}: a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path"
        )
    return Path(rest[1:].partition("?")[0]).expanduser()


def open_ledger(url: str, *, readonly: bool = False) -> Ledger:
    path = path_of(url)
    if path is None:
        return SqliteLedger(MEMORY)
    if readonly and not path.exists():
        raise LedgerNotFound(f"no ledger at {path} yet: nothing has been recorded")
    return SqliteLedger(path, readonly=readonly)


def lock_file(url: str) -> Path | None:
    """``<ledger>.lock`` beside the file; none for a ledger in memory."""
    path = path_of(url)
    return None if path is None else path.with_name(path.name + ".lock")


def location(url: str) -> str:
    path = path_of(url)
    return str(path) if path is not None else MEMORY
