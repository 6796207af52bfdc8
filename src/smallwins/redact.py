"""Keeping secrets out of logs: a filter that masks every registered secret."""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import parse_qsl, urlsplit

MASK = "****"
_QUERY_SECRET = re.compile(r"(?i)(token|key|pass|password|secret|auth|apikey|to)$")


def secret_parts(url: str) -> set[str]:
    """The parts of an Apprise URL that may be secret: the whole URL, userinfo, long path
    segments (bot tokens, webhook ids) and the values of secret-looking query keys."""
    # A bare scheme (desktop://, dbus://) holds nothing secret, and masking it would hide
    # which target a message is about.
    parts = {url} if url.partition("://")[2].strip("/") else set()
    try:
        split = urlsplit(url)
    except ValueError:
        return parts
    if split.username:
        parts.add(split.username)
    if split.password:
        parts.add(split.password)
    host = split.hostname or ""
    if len(host) >= 8 and "." not in host:
        parts.add(host)  # tgram://TOKEN/..., the "host" is the token itself
    for segment in split.path.split("/"):
        if len(segment) >= 8:
            parts.add(segment)
    for key, value in parse_qsl(split.query, keep_blank_values=False):
        if value and (key.startswith("+") or _QUERY_SECRET.search(key)):
            parts.add(value)
    return {part for part in parts if len(part) >= 4}


class Redactor(logging.Filter):
    """A logging filter that replaces each known secret in a record's final text."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: list[str] = []
        self._lock = threading.Lock()

    def add(self, *secrets: str) -> None:
        with self._lock:
            merged = set(self._secrets) | {s for s in secrets if s}
            # Longest first, so a whole URL is masked before its parts are.
            self._secrets = sorted(merged, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = self.redact(record.getMessage())
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self.redact(record.exc_text)
            record.msg, record.args = message, None
        return True


REDACTOR = Redactor()


def register_url(url: str) -> None:
    """Remember the secret parts of ``url`` so no log line shows them."""
    REDACTOR.add(*secret_parts(url))
