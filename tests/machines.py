"""Machines sharing one PostgreSQL ledger, for the tests and the soak: a SMALLWINS_HOME each,
and what the ledger holds, read through the real ``smallwins`` command."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from tests.cli_run import smallwins
from tests.conftest import Repo
from tests.daemon_proc import status_json
from tests.receiver import Receiver


def machine_home(
    folder: Path,
    url: str,
    repos: list[Repo],
    shared: Receiver,
    local: Receiver | None = None,
    lease: float = 30,
) -> Path:
    """A machine: a SMALLWINS_HOME with a config naming the shared ledger, a target for the
    person's moments (a push service: shared) and one for this machine's own (its desktop).
    No digest and no quiet hours, so that what is told is the same at any hour."""
    folder.mkdir(parents=True)
    listed = ", ".join(f'"{r.path}"' for r in repos)
    desk = f'{{ url = "{local.url}", scope = "local" }}, ' if local else ""
    (folder / "config.toml").write_text(
        f"""
digest = "off"

[ledger]
url = "{url}"
lease_seconds = {lease}

[notify]
urls = [{desk}"{shared.url}"]
coalesce_seconds = 0
quiet_hours = ""
retry_initial_seconds = 0.3
retry_max_seconds = 1

[sources.code]
detector = "git"
repos = [{listed}]
"""
    )
    (folder / "config.toml").chmod(0o600)
    return folder


def settle(home: Path, wins: int, timeout: float = 30) -> None:
    """Wait until the ledger holds ``wins`` wins and nothing waits in the outbox."""
    env = {"SMALLWINS_HOME": str(home)}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = status_json(env)
        recorded = sum(s["wins"] for s in status["sources"].values())
        if recorded >= wins and not status["outbox"]["pending"]:
            return
        time.sleep(0.2)
    raise AssertionError(f"not settled: {status}")


def all_wins(home: Path) -> list[str]:
    done = smallwins(
        "wins", "--json", "--limit", "0", env={**os.environ, "SMALLWINS_HOME": str(home)}
    )
    assert done.returncode == 0, done.stderr
    return [w["key"] for w in json.loads(done.stdout)]


def totals(messages: list[dict[str, Any]]) -> list[str]:
    """The totals told: each mark a message mentions ("10 commits in code", ...)."""
    return [m for msg in messages for m in re.findall(r"\b(10|25) commits", msg["title"])]
