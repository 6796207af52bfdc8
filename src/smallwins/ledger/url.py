"""Choosing a ledger by its URL: the scheme names the implementation.

Each implementation is a module (or package) in ``smallwins.ledger.backends`` named after its
URL scheme, with ``open_ledger(url, readonly=...)`` and ``location(url)``; adding one touches
nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smallwins.errors import SmallwinsError

if TYPE_CHECKING:
    from smallwins.ledger.protocol import Ledger

BACKENDS = "smallwins.ledger.backends"


class LedgerNotFound(SmallwinsError):
    """Opened for reading, but nothing was ever recorded there."""


class LedgerUnreachable(SmallwinsError):
    """The ledger's server did not answer, or went away: it may be down, or the host or port
    is wrong. What could not be recorded is recorded once it answers again."""


def schemes() -> list[str]:
    """The URL schemes there is an implementation for."""
    from smallwins.ledger import backends

    return sorted(m.name for m in pkgutil.iter_modules(backends.__path__))


def scheme_of(url: str) -> str:
    """The implementation's name in ``url``: ``postgresql+psycopg://`` is ``postgresql``."""
    scheme, sep, _ = url.partition("://")
    return scheme.split("+", 1)[0].lower() if sep else ""


def check_url(url: str) -> str:
    """``url`` when an implementation takes its scheme; else a ValueError naming the schemes."""
    known = schemes()
    if scheme_of(url) not in known:
        choices = ", ".join(f"{s}://" for s in known)
        raise ValueError(
            f"{url.partition('://')[0] or url!r} is not a ledger URL scheme smallwins knows;"
            f" use one of {choices} (for a file: sqlite:////absolute/path)"
        )
    return url


def sqlite_url(path: Path | str) -> str:
    """The URL of a SQLite file, as SQLAlchemy writes it (``sqlite:////abs``, ``sqlite:///rel``)."""
    return f"sqlite:///{path}"


def _backend(url: str) -> Any:
    check_url(url)
    return importlib.import_module(f"{BACKENDS}.{scheme_of(url)}")


def location(url: str) -> str:
    """Where the ledger at ``url`` is, for a person to read (never with a password)."""
    return str(_backend(url).location(url))


def lock_file(url: str) -> Path | None:
    """The file beside the ledger at ``url`` that a daemon locks to be its one writer; None
    where there is none to lock (in memory, or a server shared by design)."""
    lock: Path | None = getattr(_backend(url), "lock_file", lambda _url: None)(url)
    return lock


def open_ledger(url: str, *, readonly: bool = False) -> Ledger:
    """The ledger at ``url``, migrated to the current schema.

    ``readonly`` opens it for reading only and raises LedgerNotFound where nothing was
    ever recorded, so a command that only reads never creates a ledger.
    """
    ledger: Ledger = _backend(url).open_ledger(url, readonly=readonly)
    return ledger
