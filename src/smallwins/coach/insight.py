"""Insights across sources: "On days with sits, you made 31% more commits", at most one a
month and only when it stands.

Every ordered pair of goals (A, B) with enough history in common is tried: B's daily amount on
days with a win of A against days without. The statistics run in a short-lived worker process
(``smallwins.coach.insight_worker``, with SciPy), so the daemon never holds SciPy; a worker that
fails or takes too long is logged and skipped. What is told says what went together, never
that one thing caused the other.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from smallwins.api.goal import Goal
from smallwins.api.moment import Moment
from smallwins.api.rules import Tell
from smallwins.coach.coach import Coach
from smallwins.coach.voice import Voice
from smallwins.ledger import Ledger, LedgerView

log = logging.getLogger("smallwins.coach")

WORKER = (sys.executable, "-m", "smallwins.coach.insight_worker")
# A pair is tried over at most the last year of closed days on which both goals were active
# (a win within ACTIVE_NEAR days, and not a rest day); it needs MIN_DAYS of them, with and
# without A on MIN_EACH each.
# A gap of up to two weeks is days without; a longer one is time away from the goal.
ACTIVE_NEAR = 7
MIN_DAYS = 90
MIN_EACH = 10
WINDOW = 365
# What stands: a false-discovery rate of 1% over every pair tried (strict, as the daemon looks
# again every day until one stands, and a person hears it as a fact about themselves), a
# change of at least 10%, and the same direction in at least 8 of 10 resamples of months.
ALPHA = 0.01
MIN_CHANGE = 0.10
STABILITY = 10
MIN_HELD = 0.8
RESAMPLES = 4999
# At most one insight a month; the same pair not again within a year.
EVERY = timedelta(days=30)
PAIR_QUIET_MONTHS = 12
TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Finding:
    """One pair's numbers, as the worker gave them."""

    a: str
    b: str
    days: int
    mean_with: float
    mean_without: float
    change: float
    q: float
    held: int
    resamples: int

    @property
    def stands(self) -> bool:
        return (
            self.q <= ALPHA
            and abs(self.change) >= MIN_CHANGE
            and self.held >= MIN_HELD * self.resamples
        )


def pairs(coach: Coach, today: date) -> list[dict[str, Any]]:
    """Every pair of the coach's goals with enough history in common, day by day."""
    end = today - timedelta(days=1)
    days = {
        g.name: dict(coach.trackers[g.name].days) for g in coach.goals if g.name in coach.trackers
    }
    rest = {name: set(coach.trackers[name].rest) for name in days}
    firsts = {name: min(d) for name, d in days.items() if d}
    lasts = {name: max(d) for name, d in days.items() if d}
    active = {name: _active(d, rest[name]) for name, d in days.items()}
    tried = []
    for a in coach.goals:
        for b in coach.goals:
            if a is b or a.name not in firsts or b.name not in firsts:
                continue
            if set(a.sources) & set(b.sources):
                continue  # a win counted by both would go with itself
            # The days after the last win of both say nothing of either.
            last = min(end, max(lasts[a.name], lasts[b.name]))
            start = max(firsts[a.name], firsts[b.name], last - timedelta(days=WINDOW - 1))
            span = [start + timedelta(days=n) for n in range((last - start).days + 1)]
            span = [d for d in span if d in active[a.name] and d in active[b.name]]
            with_a = [1 if days[a.name].get(d, 0.0) > 0 else 0 for d in span]
            if len(span) < MIN_DAYS or min(sum(with_a), len(span) - sum(with_a)) < MIN_EACH:
                continue
            tried.append(
                {
                    "a": a.name,
                    "b": b.name,
                    "with_a": with_a,
                    "b_values": [days[b.name].get(d, 0.0) for d in span],
                    "months": [d.year * 12 + d.month for d in span],
                }
            )
    return tried


def _active(days: dict[date, float], rest: set[date]) -> set[date]:
    """The days a goal was active: within ACTIVE_NEAR days of one of its wins, and not a rest
    day. A holiday from both is no evidence that one goes with the other."""
    won = [d for d, amount in days.items() if amount > 0]
    near = {d + timedelta(days=n) for d in won for n in range(-ACTIVE_NEAR, ACTIVE_NEAR + 1)}
    return near - rest


def ask_worker(
    request: dict[str, Any],
    *,
    timeout: float = TIMEOUT_SECONDS,
    worker: Sequence[str] = WORKER,
) -> dict[str, Any] | None:
    """The worker's answer to ``request``, or None (logged) when it fails or takes too long."""
    try:
        done = subprocess.run(
            list(worker),
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.warning("insights: the worker took longer than %.0f s; skipped until tomorrow", timeout)
        return None
    except OSError as exc:
        log.warning("insights: the worker could not start (%s); skipped", exc)
        return None
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        log.warning("insights: the worker failed (%s); skipped until tomorrow", last[0])
        return None
    try:
        found: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        log.warning("insights: the worker's answer was not JSON; skipped until tomorrow")
        return None
    return found


def findings(answer: dict[str, Any]) -> list[Finding]:
    """The pairs of a one-question answer that have a change to speak of."""
    keep = ("a", "b", "days", "mean_with", "mean_without", "change", "q", "held", "resamples")
    return [
        Finding(**{k: pair[k] for k in keep})
        for pair in answer["answers"][0]["pairs"]
        if pair["change"] is not None
    ]


def pair_key(a: str, b: str, day: date) -> str:
    return f"insight:{a}:{b}:{day:%Y-%m}"


def told_lately(ledger: LedgerView, finding: Finding, today: date) -> bool:
    """Whether the pair was told in this month or one of the PAIR_QUIET_MONTHS before."""
    month = date(today.year, today.month, 1)
    for _ in range(PAIR_QUIET_MONTHS):
        if ledger.moment_told(pair_key(finding.a, finding.b, month)):
            return True
        month = (month - timedelta(days=1)).replace(day=1)
    return False


def due(coach: Coach, ledger: LedgerView, now: datetime) -> bool:
    """Whether a month has passed since the last insight."""
    last = [ledger.last_told_at("insight", g.name) for g in coach.goals]
    latest = max((t for t in last if t is not None), default=None)
    return latest is None or now - latest >= EVERY


def words(a: Goal, b: Goal, finding: Finding) -> str:
    """ "On days with sits, you made 31% more commits (180 days; it held in 9 of 10 resamples
    of months)." Went together, never caused."""
    percent = f"{round(abs(finding.change) * 100)}% {'more' if finding.change > 0 else 'fewer'}"
    if b.metric == "count":
        said = f"you made {percent} {b.plural}"
    elif b.metric == "minutes":
        said = f"you had {percent} minutes of {b.called}"
    else:
        said = f"you had {percent} {b.called}"
    return (
        f"On days with {a.called}, {said} ({finding.days} days; it held in {finding.held} of "
        f"{finding.resamples} resamples of months)."
    )


def insight_moments(
    coach: Coach, ledger: LedgerView, found: Sequence[Finding], now: datetime
) -> list[Moment]:
    """At most one insight: the pair that stands best and was not told within a year."""
    today = coach.schedule.today(now)
    if not due(coach, ledger, now):
        return []
    goals = {g.name: g for g in coach.goals}
    standing = [
        f
        for f in found
        if f.stands and f.a in goals and f.b in goals and not told_lately(ledger, f, today)
    ]
    if not standing:
        return []
    best = min(standing, key=lambda f: (f.q, -abs(f.change)))
    tell = Tell(
        kind="insight",
        key=pair_key(best.a, best.b, today),
        values={
            "a": goals[best.a].called,
            "b": goals[best.b].called,
            "days": best.days,
            "change": best.change,
            "mean_with": best.mean_with,
            "mean_without": best.mean_without,
            "held": best.held,
            "resamples": best.resamples,
        },
        category="digest",
        title="Something in your days",
        body=words(goals[best.a], goals[best.b], best),
    )
    # A voice of its own: the coach's may be in the middle of a scan's transaction.
    return Voice(coach.templates, coach.schedule).moments(ledger, [tell], now, goal=best.b)


def consider(
    ledger: Ledger,
    coach: Coach,
    targets_for: Callable[[Moment], Sequence[str]],
    now: datetime,
    *,
    timeout: float = TIMEOUT_SECONDS,
    worker: Sequence[str] = WORKER,
) -> list[Moment]:
    """Tell an insight if one is due and one stands; the moments told (none, mostly)."""
    today = coach.schedule.today(now)
    if not ledger.read(lambda view: due(coach, view, now)):
        return []
    tried = pairs(coach, today)
    if not tried:
        return []
    answer = ask_worker(
        {
            "seed": today.toordinal(),
            "resamples": RESAMPLES,
            "stability": STABILITY,
            "questions": [{"pairs": tried}],
        },
        timeout=timeout,
        worker=worker,
    )
    if answer is None:
        return []
    try:
        found = findings(answer)
    except (KeyError, IndexError, TypeError) as exc:
        log.warning("insights: the worker's answer lacked %s; skipped until tomorrow", exc)
        return []
    log.info("insights: %d pairs tried, %d stand", len(found), sum(1 for f in found if f.stands))
    return ledger.tell(lambda view: insight_moments(coach, view, found, now), targets_for)
