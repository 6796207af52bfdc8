"""The report page a person asked the daemon to keep current (``report = "~/smallwins.html"``).

Written once the first scans are in, then again after each day closes: atomically (a whole
new file renamed over the old), so a browser never reads half a page.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from smallwins.coach.schedule import Schedule
from smallwins.daemon.threads import in_thread, now_utc

if TYPE_CHECKING:
    from smallwins.daemon.daemon import Daemon

log = logging.getLogger("smallwins.daemon")

# After the day's end, so that the coach has closed the day the page then shows.
SETTLE = timedelta(seconds=5)


def next_write(schedule: Schedule, now: datetime) -> datetime:
    """When the page is next rewritten: just after the day that holds ``now`` ends."""
    return schedule.day_end(schedule.today(now)) + SETTLE


def write_page(daemon: Daemon, path: Path) -> None:
    from smallwins import report

    target = path.expanduser()
    report.write(target, report.build(daemon.coach, daemon.ledger, now_utc()))
    log.info("report page written: %s", target)


async def keep_report(daemon: Daemon) -> None:
    """Keep the configured page current until the daemon stops; a failed write is said and
    tried again the next day."""
    while not daemon.first_pass_done.is_set():
        if await daemon.rest(0.5):
            return
    while not daemon.stopping:
        path = daemon.config.settings.report
        if path is not None:
            try:
                await in_thread(write_page, daemon, path)
            except Exception as exc:  # the page is a convenience: never stop the daemon for it
                log.warning("cannot write the report page %s: %r", path, exc)
        wait = (next_write(daemon.coach.schedule, now_utc()) - now_utc()).total_seconds()
        if await daemon.rest(max(1.0, wait)):
            return
