"""The moments a scan's own wins make: a celebration per live win, a summary of history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from smallwins import message
from smallwins.goal import Goal
from smallwins.ledger import LedgerView, StoredWin
from smallwins.moment import Moment
from smallwins.progress import Progress
from smallwins.source import Source
from smallwins.win import Win

# A burst keeps growing while wins keep coming, but is told within this many windows.
BURST_CAP_WINDOWS = 5


@dataclass(frozen=True, slots=True)
class ScanInfo:
    """What the coach needs to know about the source a scan's wins came from."""

    name: str
    label: str
    noun: str
    plural: str
    private: bool
    first_scan: bool
    history_keys: frozenset[str]
    places: dict[str, str]
    rest_days_changed: bool = False

    @classmethod
    def of(
        cls,
        source: Source,
        wins: Sequence[Win],
        *,
        first_scan: bool,
        rest_days_changed: bool = False,
    ) -> ScanInfo:
        detector = source.detector
        return cls(
            name=source.name,
            label=detector.describe(),
            noun=detector.noun,
            plural=detector.plural_noun(),
            private=source.settings.private,
            first_scan=first_scan,
            history_keys=frozenset(w.key for w in wins if w.history),
            places={w.key: str(w.details["place"]) for w in wins if w.details.get("place")},
            rest_days_changed=rest_days_changed,
        )


def celebration_moment(
    ledger: LedgerView,
    scan: ScanInfo,
    win: StoredWin,
    *,
    progress_note: str,
    due: datetime,
    now: datetime,
    group: str,
    last_words: tuple[str, str] | None,
) -> Moment:
    """One live win's celebration: '"Add vdir support" - your 3rd commit today.'"""
    today_count = ledger.count_wins(scan.name, day=win.day, until=win.occurred_at)
    payload: dict[str, Any] = {
        "source": scan.name,
        "place": scan.name if scan.private else scan.places.get(win.key, scan.name),
        "title": win.title,
        # A detector may name one win better than its noun does ("to-do", not "event").
        "noun": str(win.details.get("noun") or scan.noun),
        "plural": scan.plural,
        "today": today_count,
        "private": scan.private,
        "progress": progress_note,
    }
    heading, body = message.celebration(payload)
    if (heading, body) == last_words:
        # Never the same words twice in a row (a daily "Meditation"): say which one it is.
        count = ledger.count_wins(scan.name, until=win.occurred_at)
        in_all = f"{message.ordinal(count)} in all"
        payload["progress"] = f"{progress_note}, {in_all}" if progress_note else in_all
        heading, body = message.celebration(payload)
    celebration = Moment(
        kind="celebration",
        dedupe_key=f"win:{scan.name}:{win.key}",
        title=heading,
        message=body,
        at=now,
        due_at=due,
        source=scan.name,
        group=group,
        payload=payload,
    )
    return celebration


def summary_moment(
    scan: ScanInfo, wins: list[StoredWin], *, backfill: bool, now: datetime
) -> Moment:
    """History is not news: a first scan (or a backfill) is told as one summary."""
    days = [w.day for w in wins]
    title, body = message.summary(
        label=scan.label,
        count=len(wins),
        noun=scan.noun,
        plural=scan.plural,
        first_day=min(days),
        best_run=message.longest_run(days),
        backfill=backfill,
    )
    key = f"summary:{scan.name}" if not backfill else f"backfill:{scan.name}:{wins[0].key}"
    return Moment(
        kind="summary",
        dedupe_key=key,
        title=title,
        message=body,
        at=now,
        due_at=now,
        source=scan.name,
        payload={"count": len(wins), "source": scan.name},
    )


def progress_text(goal: Goal, before: Progress, after: Progress) -> str:
    """The goal's progress after a win, in a few words: "12 of 10 min today, target met"."""
    if goal.per == "week":
        amount = message.number(after.week_value)
        unit = f" {goal.unit}" if goal.metric != "count" else ""
        met = ", target met" if after.week_value >= after.target > before.week_value else ""
        return f"{amount}{unit} of {message.number(after.target)} this week{met}"
    if goal.metric == "count" and after.target <= 1:
        return ""
    unit = " min" if goal.metric == "minutes" else ""
    text = f"{message.number(after.today_value)} of {message.number(after.target)}{unit} today"
    if after.met_today and not before.met_today:
        text += ", target met"
    return text


def burst_due(ledger: LedgerView, group: str, now: datetime, window: timedelta) -> datetime:
    """The due time shared by a burst: a window after the latest win, capped after the first."""
    due = now + window
    first = ledger.burst_started(group)
    if first is not None:
        due = min(due, first + window * BURST_CAP_WINDOWS)
        ledger.move_burst(group, due)
    return due
