"""How sure a change is: a bootstrap over days that respects weekdays.

A day's total depends on its weekday (fewer commits on a Sunday), so a window is resampled
within each weekday: a resample keeps the window's mix of weekdays, and an experiment that
happens to hold more Sundays than its baseline is not read as a change.

Python's own ``random`` does it: a few thousand resamples of a few dozen days take some
tens of milliseconds, and numpy (or scipy, whose ``bootstrap`` has no strata) would stay in
the daemon's memory after the first experiment for no gain.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from datetime import date

RESAMPLES = 2000
CONFIDENCE = 0.95

Day = tuple[date, float]


class _Window:
    """One window's days grouped by weekday, ready to be resampled.

    A weekday with a single day cannot say how days of its kind vary: that day is drawn
    from the whole window instead. A weekday of ``n`` days spreads its resampled mean too
    little, by ``(n - 1) / n`` in variance (2 days of each weekday in a 14-day window halve
    it); each stratum's deviation is scaled back up (Rao and Wu's rescaled bootstrap)."""

    def __init__(self, days: Sequence[Day]) -> None:
        self.size = len(days)
        self.pool = [value for _, value in days]
        by_weekday: dict[int, list[float]] = {}
        for day, value in days:
            by_weekday.setdefault(day.weekday(), []).append(value)
        self.strata = [
            (values, statistics.fmean(values), math.sqrt(len(values) / (len(values) - 1)))
            for values in by_weekday.values()
            if len(values) > 1
        ]
        self.singles = sum(1 for values in by_weekday.values() if len(values) == 1)

    def means(self, rng: random.Random, resamples: int) -> list[float]:
        """The window's mean in each of ``resamples`` resamples; drawn a stratum at a time
        for all resamples at once, which keeps the work in C."""
        totals = [0.0] * resamples
        for values, centre, scale in self.strata:
            n = len(values)
            offset = n * centre * (1 - scale)
            drawn = rng.choices(values, k=n * resamples)
            sums = map(sum, zip(*[iter(drawn)] * n, strict=True))
            totals = [t + offset + scale * s for t, s in zip(totals, sums, strict=True)]
        if self.singles:
            drawn = rng.choices(self.pool, k=self.singles * resamples)
            sums = map(sum, zip(*[iter(drawn)] * self.singles, strict=True))
            totals = [t + s for t, s in zip(totals, sums, strict=True)]
        return [t / self.size for t in totals]


def change_interval(
    before: Sequence[Day], during: Sequence[Day], seed: int, *, resamples: int = RESAMPLES
) -> tuple[float, float] | None:
    """The 95% percentile interval of ``mean(during) / mean(before) - 1`` over resamples
    of both windows; None when either window is empty or the baseline is all zeros.
    The same days and seed always give the same interval."""
    if not before or not during or not any(value for _, value in before):
        return None
    rng = random.Random(seed)
    first, second = _Window(before), _Window(during)
    pairs = zip(first.means(rng, resamples), second.means(rng, resamples), strict=True)
    changes = [mean / base - 1 for base, mean in pairs if base > 0]
    if len(changes) < resamples // 2:
        return None
    tail = expanded_tail(min(len(before), len(during)))
    changes.sort()
    return _percentile(changes, tail), _percentile(changes, 1 - tail)


def expanded_tail(days: int) -> float:
    """The tail each end of the interval leaves out: 2.5% widened for few days.

    A percentile interval over few days is too narrow, as a z-interval is where a t one is
    due; Hesterberg's expanded percentile interval takes the percentiles at which the
    normal's quantile is Student's t's for ``days - 1`` degrees of freedom (2.16 for 14
    days: the 1.5th and 98.5th percentiles)."""
    normal = statistics.NormalDist()
    z = normal.inv_cdf(1 - (1 - CONFIDENCE) / 2)
    if days < 2:
        return (1 - CONFIDENCE) / 2
    return 1 - normal.cdf(_student_t(z, days - 1))


def _student_t(z: float, df: int) -> float:
    """Student's t quantile at the normal's ``z``, by the Cornish-Fisher expansion (within
    0.5% of the exact value from 4 degrees of freedom on; wider below, as it should be)."""
    z3, z5, z7 = z**3, z**5, z**7
    return (
        z
        + (z3 + z) / (4 * df)
        + (5 * z5 + 16 * z3 + 3 * z) / (96 * df**2)
        + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df**3)
    )


def _percentile(ordered: Sequence[float], share: float) -> float:
    """The value ``share`` of the way through ``ordered``, interpolated between neighbours."""
    place = share * (len(ordered) - 1)
    low = math.floor(place)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (place - low)
