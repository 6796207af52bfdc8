"""A machine is a state folder: a random id made on its first start, kept in the folder,
and labelled with the host's name when it joins a ledger."""

from __future__ import annotations

import logging
import re
import secrets
import socket
import time
from typing import Any

from smallwins.config import Settings
from smallwins.errors import AlreadyRunning, ConfigError
from smallwins.ledger import Ledger, LedgerUnreachable, open_ledger
from smallwins.paths import Paths, write_private

log = logging.getLogger("smallwins.daemon")

# A daemon whose ledger's server does not answer at start asks again after 1 s, then 2, 4...
# and at most this often (seconds).
WAIT_MAX = 15.0

_ID = re.compile(r"[0-9a-z][0-9a-z-]{3,63}")


def machine_id(paths: Paths) -> str:
    """The state folder's machine id, made (and kept) on first use."""
    found = known_machine_id(paths)
    if found is None:
        found = secrets.token_hex(8)
        write_private(paths.machine_file, found + "\n")
    return found


def known_machine_id(paths: Paths) -> str | None:
    """The state folder's machine id; None before its first start."""
    path = paths.machine_file
    try:
        found = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not _ID.fullmatch(found):
        raise ConfigError(
            f"{path}: {found[:40]!r} is not a machine id (lowercase letters, digits and -);"
            " delete the file and a new id is made at the next start"
        )
    return found


def label() -> str:
    return socket.gethostname() or "localhost"


def person_settings(settings: Settings) -> dict[str, Any]:
    """The settings that shape what is told to the person, as JSON: on a shared ledger the
    lead's count, and ``ledger status`` warns when machines' differ."""
    return {
        "timezone": str(settings.zone()),
        "day_starts_at": settings.day_starts_at.isoformat(timespec="minutes"),
        "quiet_hours": settings.notify.model_dump(mode="json")["quiet_hours"],
        **settings.model_dump(mode="json", include={"goals", "templates", "digest", "digest_at"}),
    }


def join(ledger: Ledger, paths: Paths, settings: Settings) -> str:
    """Join the ledger as this state folder's machine; AlreadyRunning (exit 75) when a
    daemon of the same machine is connected to it already."""
    machine = machine_id(paths)
    if not ledger.join(machine, label(), person_settings(settings)):
        raise AlreadyRunning(
            f"another smallwins daemon with this machine's id ({machine}, from "
            f"{paths.machine_file}) records into the ledger {ledger.location}; stop it "
            f"first, or, if this state folder was copied from another machine, delete "
            f"{paths.machine_file} here so that this machine gets an id of its own"
        )
    return machine


def open_and_join(url: str, paths: Paths, settings: Settings, *, wait: bool) -> Ledger:
    """The ledger at ``url``, joined as this machine. A server that does not answer is
    waited for, when ``wait``: said once, and asked again until it does (or the daemon is
    stopped); otherwise LedgerUnreachable."""
    delay, waiting = 1.0, False
    while True:
        try:
            ledger = open_ledger(url)
        except LedgerUnreachable as exc:
            if not wait:
                raise
            if not waiting:
                log.warning(
                    "%s; waiting for it: asking again every %g s at most (Ctrl-C or SIGTERM stops)",
                    exc,
                    WAIT_MAX,
                )
                waiting = True
            time.sleep(delay)
            delay = min(delay * 2, WAIT_MAX)
            continue
        try:
            join(ledger, paths, settings)
        except BaseException:
            ledger.close()
            raise
        if waiting:
            log.info("the ledger %s answers: starting", ledger.location)
        return ledger
