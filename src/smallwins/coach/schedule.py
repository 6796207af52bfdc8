"""The user's clock: local days that start at ``day_starts_at``, quiet hours, digest times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from smallwins.api.win import local_day
from smallwins.config import QuietHours

# When the morning's moments are told with quiet hours turned off.
MORNING = time(7, 30)


class Schedule:
    """When things happen in the user's time: the coach's clock and the replay's."""

    def __init__(
        self,
        zone: ZoneInfo,
        day_starts_at: time,
        quiet_hours: QuietHours | None = None,
        digest: str = "daily",
        digest_at: time = time(20, 30),
        hold_all: bool = False,
    ) -> None:
        self.zone = zone
        self.hold_all = hold_all
        self.day_starts_at = day_starts_at
        self.quiet_hours = quiet_hours
        self.digest = digest
        self.digest_at = digest_at

    def today(self, now: datetime) -> date:
        return local_day(now, self.zone, self.day_starts_at)

    def _at(self, day: date, clock: time) -> datetime:
        """``clock`` on local day ``day``: before the day's start it belongs to the next date.
        The first time the wall clock shows it: in the hour repeated when clocks go back, the
        first pass; when they jump past it in spring, the jump."""
        calendar_day = day + timedelta(days=1) if clock < self.day_starts_at else day
        at = datetime.combine(calendar_day, clock, tzinfo=self.zone)
        after = at.astimezone(UTC)
        if after.astimezone(self.zone).replace(tzinfo=None) == at.replace(tzinfo=None):
            return at
        # A wall time that does not exist: read with the offset before the jump it falls
        # after it, read with the one after, before it; the jump is where the offset changes.
        other = at.replace(fold=1 - at.fold).astimezone(UTC)
        low, high = sorted((int(other.timestamp()), int(after.timestamp())))
        offset = datetime.fromtimestamp(high, self.zone).utcoffset()
        while high - low > 1:
            middle = (low + high) // 2
            if datetime.fromtimestamp(middle, self.zone).utcoffset() == offset:
                high = middle
            else:
                low = middle
        return datetime.fromtimestamp(high, self.zone)

    def day_end(self, day: date) -> datetime:
        return self._at(day + timedelta(days=1), self.day_starts_at)

    def digest_time(self, day: date) -> datetime | None:
        if self.digest == "off":
            return None
        if self.digest == "weekly" and day.weekday() != 6:
            return None
        return self._at(day, self.digest_at)

    def told_at(self, due: datetime) -> datetime:
        """When a coaching moment (one no win just made) due at ``due`` is told: with the
        morning, at the end of quiet hours, or at 07:30 when they are off."""
        local = due.astimezone(self.zone)
        if self.quiet_hours is None:
            morning = local.replace(hour=MORNING.hour, minute=MORNING.minute, second=0)
            return morning.replace(microsecond=0) if local < morning else due
        return self.quiet_end(due)

    def quiet_end(self, due: datetime) -> datetime:
        """``due``, or the end of the quiet hours it falls in."""
        local = due.astimezone(self.zone)
        if self.quiet_hours is None or not self.quiet_hours.contains(local):
            return due
        return self.quiet_hours.ends_after(local)

    def hold(self, interactive: bool) -> Callable[[datetime], datetime]:
        """When a live win (and what it causes) due at a time is told: a win made at this
        machine just now at once, since the person is awake; others after quiet hours."""
        if interactive and not self.hold_all:
            return lambda due: due
        return self.quiet_end

    def next_clock(self, now: datetime) -> datetime:
        """The next time the clock has something for the coach: a day's end or a digest."""
        today = self.today(now)
        # Never a time already past: in the hour repeated when clocks go back, a day_starts_at
        # inside it makes today's end come before now, and the clock loop would spin.
        ends = (self.day_end(today), self.day_end(today + timedelta(days=1)))
        times = [next(end for end in ends if end > now)]
        for day in (today, today + timedelta(days=1)):
            digest = self.digest_time(day)
            if digest is not None and digest > now:
                times.append(digest)
                break
        return min(times)
