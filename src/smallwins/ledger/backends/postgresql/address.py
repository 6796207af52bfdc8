"""A PostgreSQL ledger's URL: where it is for a person, and what libpq is given to connect."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from smallwins.errors import ConfigError

# Ours, not libpq's: a file that holds the password alone (a secret mounted by a service
# manager), so that the URL in the config can be shown.
PASSWORD_FILE = "password_file"


@dataclass(frozen=True)
class Address:
    """``conninfo`` is the URL as libpq takes it, without a password; ``password`` is the
    one the URL gave (in it, or in its password file), None to leave it to libpq
    (``PGPASSWORD``, ``~/.pgpass``)."""

    conninfo: str
    location: str
    password_given: str | None
    password_file: Path | None

    @classmethod
    def parse(cls, url: str) -> Address:
        try:
            split = urlsplit(url)
            port = split.port
        except ValueError as exc:
            raise ValueError(f"the ledger URL is not a PostgreSQL URL: {exc}") from None
        if split.scheme.split("+", 1)[0].lower() != "postgresql":
            raise ValueError("a PostgreSQL ledger URL starts postgresql://")
        database = unquote(split.path.lstrip("/"))
        if not database or "/" in database:
            raise ValueError(
                "a PostgreSQL ledger URL names its database: postgresql://user@host/database"
            )
        options = parse_qsl(split.query, keep_blank_values=True)
        password = unquote(split.password) if split.password is not None else None
        password_file = None
        kept = []
        for key, value in options:
            if key == "password":
                password = value
            elif key == PASSWORD_FILE:
                password_file = Path(value).expanduser()
            else:
                kept.append((key, value))
        user = split.username or ""
        host = split.hostname or ""
        if ":" in host:  # an IPv6 address goes back in brackets
            host = f"[{host}]"
        netloc = (f"{user}@" if user else "") + host + (f":{port}" if port else "")
        # Written out: urlunsplit drops the "//" of a URL with no host (a local socket).
        shown = f"postgresql://{netloc}/{quote(database)}"
        conninfo = f"{shown}?{urlencode(kept)}" if kept else shown
        return cls(conninfo, shown, password, password_file)

    def password(self) -> str | None:
        """The password to send, if the URL gives one; the file is read on each connect, so
        a rotated secret is picked up."""
        if self.password_file is None:
            return self.password_given
        try:
            return self.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"the ledger {self.location}: cannot read its password file "
                f"{self.password_file}: {exc.strerror}"
            ) from None
