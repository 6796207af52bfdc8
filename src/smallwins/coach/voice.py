"""The coach's voice: what the rules tell, turned into moments worth telling.

A tell becomes a moment once: not if its key was told before, not within its cooldown, in words
that never repeat the last of its kind, and a setback only within its budget (else it is held
back for the digest). The moments of the transaction under way count as told already.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from smallwins.api.moment import Moment
from smallwins.api.progress import DayClose, Progress, WeekClose
from smallwins.api.rules import DayEvent, Rule, Tell, WeekEvent
from smallwins.api.wording import Templates
from smallwins.coach.schedule import Schedule
from smallwins.ledger import LedgerView

log = logging.getLogger("smallwins.coach")

SETBACK_GAP = timedelta(days=7)
CELEBRATIONS_BEFORE_SETBACK = 3


def call_rule(rule_name: str, method: Callable[[Any], Iterable[Tell]], event: Any) -> list[Tell]:
    """One rule's tells about ``event``; a rule is plugin code: one that breaks silences only
    itself."""
    try:
        tells = list(method(event) or ())
    except Exception as exc:  # isolate the rule, report it, keep coaching
        log.warning("rule %s raised %r; skipped", rule_name, exc)
        log.debug("rule %s traceback", rule_name, exc_info=exc)
        return []
    good = [t for t in tells if isinstance(t, Tell) and t.key and t.kind]
    if len(good) != len(tells):
        log.warning("rule %s returned something that is not a Tell; skipped", rule_name)
    return good


class Voice:
    """Words for the rules' tells, and the memory of what this transaction said so far."""

    def __init__(self, templates: Templates, schedule: Schedule) -> None:
        self.templates = templates
        self.schedule = schedule
        # The moments made in the current transaction: not in the ledger yet, but they count
        # for dedupe, cooldowns, the setback budget and "never the same words twice".
        self.batch: list[Moment] = []

    def begin(self) -> None:
        """A new transaction: nothing said in it yet."""
        self.batch = []

    def said(self, moment: Moment) -> None:
        """Count a moment made elsewhere (a celebration) as said in this transaction."""
        self.batch.append(moment)

    def moments(
        self,
        ledger: LedgerView,
        tells: Iterable[Tell],
        now: datetime,
        *,
        goal: str | None = None,
        source: str | None = None,
    ) -> list[Moment]:
        moments = []
        for tell in tells:
            key = tell.key
            if any(m.dedupe_key == key for m in self.batch) or ledger.moment_told(key):
                continue
            if tell.cooldown_days and self._cooling(ledger, tell, goal, now):
                continue
            text = self.templates.render(
                tell.kind, key, tell.values, avoid=self.last_words(ledger, tell.kind)
            ) or (tell.title, tell.body)
            if not text[0] or not text[1]:
                log.warning("nothing to say for a %s moment (no template); skipped", tell.kind)
                continue
            due = self.schedule.told_at(now)
            moment = Moment(
                kind=tell.kind,
                dedupe_key=key,
                title=text[0],
                message=text[1],
                at=now,
                due_at=due,
                category=tell.category,
                source=source,
                goal=goal,
                payload={k: _plain(v) for k, v in tell.values.items()},
            )
            if tell.category == "setback" and not self._setback_allowed(ledger, goal, due):
                moment.group, moment.deliver = "deferred", False
            moments.append(moment)
            self.batch.append(moment)
        return moments

    def closes(
        self,
        ledger: LedgerView,
        rules: Sequence[tuple[str, Rule]],
        days: Sequence[DayClose],
        weeks: Sequence[WeekClose],
        snapshot: Progress,
        now: datetime,
    ) -> list[Moment]:
        """What the rules tell of a goal's days and weeks that ended (``snapshot``: its
        progress now), each day's moments made at its end."""
        goal, moments = snapshot.goal, []
        for close in days:
            at = max(now, self.schedule.day_end(close.day))
            event = DayEvent(goal, close, snapshot, at)
            for rule_name, rule in rules:
                tells = call_rule(rule_name, rule.on_day_end, event)
                moments.extend(self.moments(ledger, tells, at, goal=goal.name))
        for week in weeks:
            event_week = WeekEvent(goal, week, snapshot, now)
            for rule_name, rule in rules:
                tells = call_rule(rule_name, rule.on_week_end, event_week)
                moments.extend(self.moments(ledger, tells, now, goal=goal.name))
        return moments

    def last_words(self, ledger: LedgerView, kind: str) -> tuple[str, str] | None:
        """The words of the last moment of ``kind`` told (this transaction's first); held-back
        setbacks are not told, so they do not count."""
        for moment in reversed(self.batch):
            if moment.kind == kind and moment.group != "deferred":
                return moment.title, moment.message
        return ledger.last_words(kind)

    def _cooling(self, ledger: LedgerView, tell: Tell, goal: str | None, now: datetime) -> bool:
        """Whether a moment of the tell's kind about ``goal`` was made within its cooldown."""
        if any(m.kind == tell.kind and m.goal == goal for m in self.batch):
            return True
        last = ledger.last_told_at(tell.kind, goal)
        return last is not None and last > now - timedelta(days=tell.cooldown_days)

    def _setback_allowed(self, ledger: LedgerView, goal: str | None, due: datetime) -> bool:
        """Setbacks are rare: one per goal per 7 days, never on two days running, and only
        after three celebrations since the last one. The others fold into the next digest."""
        if any(m.category == "setback" and m.deliver for m in self.batch):
            return False  # one in this transaction already: the same day, maybe the same goal
        last_goal = ledger.last_setback(goal)
        if last_goal is not None and due - last_goal < SETBACK_GAP:
            return False
        last_any = ledger.last_setback_any()
        today = self.schedule.today
        if last_any is not None and (today(due) - today(last_any.due_at)).days <= 1:
            return False
        since = last_any.created_at if last_any is not None else None
        return ledger.count_celebrations(since) >= CELEBRATIONS_BEFORE_SETBACK


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
