"""The status report: is the daemon running, each source's last scan, the outbox. Read from
the lock and the ledger only, so it works whether or not the daemon runs."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from smallwins.config import Config, ledger_url, load_config, system_timezone
from smallwins.daemon.lock import running_pid
from smallwins.errors import SmallwinsError
from smallwins.ledger import (
    Ledger,
    LedgerNotFound,
    LedgerUnreachable,
    SourceState,
    location,
    open_ledger,
    sqlite_url,
)
from smallwins.ledger.outage import read_outage
from smallwins.paths import Paths


def report(paths: Paths) -> dict[str, Any]:
    """Everything ``smallwins status`` shows, as ``status --json`` prints it."""
    pid = running_pid(paths.lock_file)
    found: dict[str, Any] = {
        "running": pid is not None,
        "pid": pid if pid and pid > 0 else None,
        "config": str(paths.config_file),
        "config_exists": paths.config_file.exists(),
        "config_error": None,
        "timezone": system_timezone().key,
        "ledger": None,
        # Noted by the daemon outside the ledger: the ledger cannot tell that it is full.
        "ledger_outage": read_outage(paths.ledger_outage_file),
        "spool": read_spool(paths),
        # Why the ledger's server did not answer (not the config's fault: exit 1, not 78).
        "ledger_unreachable": None,
        "sources": {},
        "outbox": {"pending": 0, "failed": 0},
        "targets": [],
        "paused": [],
    }
    try:
        config = load_config(paths.config_file)
    except SmallwinsError as exc:
        found["config_error"] = str(exc)
        return found
    found["timezone"] = config.settings.zone().key
    found["config_error"] = source_problem(config)
    for name, settings in config.settings.sources.items():
        found["sources"][name] = _source_json(settings.detector, None)
    url = ledger_url(paths, config)
    found["ledger"] = location(url)
    try:
        ledger = open_ledger(url, readonly=True)
    except LedgerNotFound:
        return found
    except LedgerUnreachable as exc:
        found["ledger_unreachable"] = str(exc)
        return found
    except SmallwinsError as exc:  # a server that refuses the URL's user or password
        found["config_error"] = str(exc)
        return found
    with ledger:
        add_ledger_state(ledger, found)
    return found


def read_spool(paths: Paths) -> dict[str, Any] | None:
    """What this machine recorded while its shared ledger's server was away, not yet drained
    into it (the daemon drains it when the server answers): None when there is no spool."""
    if not paths.spool_file.exists():
        return None
    try:
        with open_ledger(sqlite_url(paths.spool_file), readonly=True) as spool:
            wins = spool.count_wins()
    except (SmallwinsError, sqlite3.Error) as exc:  # made a moment ago, or being removed
        return {"path": str(paths.spool_file), "wins": None, "error": str(exc)}
    return {"path": str(paths.spool_file), "wins": wins, "error": None}


def source_problem(config: Config) -> str | None:
    """What check-config rejects beyond the config's keys, as the daemon would meet it: a
    plugin that failed to load, an unknown detector, a detector's option."""
    from smallwins.plugins.loader import load_plugins
    from smallwins.plugins.source import build_sources

    settings = config.settings
    plugins = load_plugins(settings.plugins_dir, settings.disabled_plugins)
    if plugins.failures:
        failure = plugins.failures[0]
        return f"plugin {failure.plugin}: {failure.message}"
    try:
        build_sources(config, plugins)
    except SmallwinsError as exc:
        return str(exc)
    return None


def add_ledger_state(ledger: Ledger, found: dict[str, Any]) -> None:
    """Each source's last scan and rest days, the outbox and the targets, into ``found``."""
    now = datetime.now(UTC)
    for state in ledger.source_states():
        found["sources"][state.name] = _source_json(state.detector, state)
        if state.paused_until and state.paused_until > now:
            found["paused"].append(state.name)
    recent = datetime.now().date() - timedelta(days=7)
    for name, rest in ledger.rest_days(since=recent):
        entry = found["sources"].setdefault(name, _source_json("?", None))
        entry["rest_days"].append({"day": rest.day.isoformat(), "reason": rest.reason})
    found["outbox"] = ledger.outbox_counts()
    found["targets"] = [
        {
            "name": t.name,
            "failures": t.failures,
            "next_attempt_at": _iso(t.next_attempt_at),
            "last_error": t.last_error,
            "last_ok_at": _iso(t.last_ok_at),
        }
        for t in ledger.target_states()
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _source_json(detector: str, state: SourceState | None) -> dict[str, Any]:
    return {
        "detector": detector,
        "last_scan": _iso(state.last_scan_at) if state else None,
        "last_ok": _iso(state.last_ok_at) if state else None,
        "wins": state.wins if state else 0,
        "last_error": state.last_error if state else None,
        "failures": state.failures if state else 0,
        "paused_until": _iso(state.paused_until) if state else None,
        "problems": state.problems if state else [],
        "rest_days": [],
    }


def ledger_report(ledger: Ledger, machine: str | None) -> dict[str, Any]:
    """What ``smallwins ledger status`` shows: the ledger, its schema, this machine, the lead
    and every machine; ``warnings`` name the machines whose settings differ from the lead's."""
    machines = ledger.machines()
    lead = ledger.lead()
    found: dict[str, Any] = {
        "ledger": ledger.location,
        "shared": ledger.shared,
        "schema_version": ledger.schema_version,
        "machine": machine,
        "lead": lead,
        "machines": [m.to_json() for m in machines],
        "warnings": [],
    }
    # Compared with the lead's (or, with none, the machine seen last): its settings count.
    model = next((m for m in machines if m.id == lead), machines[0] if machines else None)
    for other in machines:
        if model is None or other is model:
            continue
        keys = sorted(
            key
            for key in model.settings.keys() | other.settings.keys()
            if model.settings.get(key) != other.settings.get(key)
        )
        if keys:
            found["warnings"].append(
                f"the config of {other.label} ({other.id}) differs from "
                f"{'the lead' if model.id == lead else 'that of'} {model.label} ({model.id}) "
                f"in {', '.join(keys)}: the lead's is the one that counts"
            )
    return found
