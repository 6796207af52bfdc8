"""When the daemon looks for an insight: after a day closes, at most once a day, off the scan
and delivery paths (the statistics run in a worker process the coach starts and waits for)."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from smallwins.coach.insight import consider
from smallwins.daemon.threads import in_thread, now_utc

if TYPE_CHECKING:
    from smallwins.daemon.daemon import Daemon

log = logging.getLogger("smallwins.daemon")


class InsightClock:
    """Looks for an insight once a local day, one look at a time."""

    def __init__(self) -> None:
        self.looked_on: date | None = None
        self.looking = False

    def after_tick(self, daemon: Daemon) -> None:
        """Start a look in the background if today has not had one."""
        if not daemon.config.settings.insights or self.looking:
            return
        today = daemon.coach.schedule.today(now_utc())
        if self.looked_on == today:
            return
        self.looked_on, self.looking = today, True
        daemon.spawn(self._look(daemon))

    async def _look(self, daemon: Daemon) -> None:
        pipeline = daemon.pipeline
        try:
            told = await in_thread(
                consider, pipeline.ledger, pipeline.coach, pipeline.targets_for, now_utc()
            )
        except Exception as exc:  # an insight is a nicety: tomorrow tries again
            log.warning("insights: looking for one failed: %r", exc)
            log.debug("insight traceback", exc_info=exc)
            return
        finally:
            self.looking = False
        if told:
            log.info("insights: one told about %s", told[0].goal)
            daemon.wake_delivery()
