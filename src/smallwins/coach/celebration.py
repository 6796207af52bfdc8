"""The moments a scan's own wins make: a celebration per live win, a summary of history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from smallwins import message
from smallwins.api.goal import Goal
from smallwins.api.moment import Moment
from smallwins.api.progress import Progress
from smallwins.api.win import Win, kept_private
from smallwins.api.wording import Templates
from smallwins.ledger import LedgerView, StoredWin
from smallwins.plugins.source import Source

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
    # How messages name the source ("Sits"); empty: its name.
    display: str = ""
    # Wins made at this machine just now: celebrated at once, even in quiet hours.
    interactive: bool = False
    # Other machines record into the ledger too: what the coach knows may be behind it.
    shared: bool = False

    @property
    def called(self) -> str:
        return self.display or self.name

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
            # What it watches ("~/src"); a detector that cannot say is named by its label.
            label=_watches(detector.describe(), source),
            noun=detector.noun,
            plural=detector.plural_noun(),
            private=source.settings.private,
            first_scan=first_scan,
            history_keys=frozenset(w.key for w in wins if w.history),
            # Only live wins are celebrated by place; history is summed up by the source.
            places={
                w.key: str(w.details["place"])
                for w in wins
                if not (first_scan or w.history) and w.details.get("place")
            },
            rest_days_changed=rest_days_changed,
            display=source.label,
            interactive=detector.interactive,
        )


def _watches(described: str, source: Source) -> str:
    return source.label if described == source.name else described


def celebration_moment(
    ledger: LedgerView,
    scan: ScanInfo,
    win: StoredWin,
    *,
    templates: Templates,
    progress_note: str,
    due: datetime,
    now: datetime,
    group: str,
    last_words: tuple[str, str] | None,
) -> Moment:
    """One live win's celebration: '"Add vdir support" - your 3rd commit today.'"""
    today_count = ledger.count_wins(scan.name, day=win.day, until=win.occurred_at)
    private = scan.private or kept_private(win.details)
    payload: dict[str, Any] = {
        "source": scan.name,
        "label": scan.called,
        "place": scan.called if private else scan.places.get(win.key, scan.called),
        "title": win.title,
        # A detector may name one win better than its noun does ("to-do", not "event").
        "noun": str(win.details.get("noun") or scan.noun),
        "plural": scan.plural,
        "today": today_count,
        "private": private,
        "progress": progress_note,
    }
    key = f"win:{scan.name}:{win.key}"
    heading, body = celebration_words(templates, payload, key, avoid=last_words)
    if (heading, body) == last_words:
        # Never the same words twice in a row (a daily "Meditation"): say which one it is.
        count = ledger.count_wins(scan.name, until=win.occurred_at)
        in_all = f"{message.ordinal(count)} in all"
        payload["progress"] = f"{progress_note}, {in_all}" if progress_note else in_all
        heading, body = celebration_words(templates, payload, key, avoid=last_words)
    return Moment(
        kind="celebration",
        dedupe_key=key,
        title=heading,
        message=body,
        at=now,
        due_at=due,
        source=scan.name,
        group=group,
        payload=payload,
    )


def celebration_words(
    templates: Templates, payload: dict[str, Any], key: str, *, avoid: tuple[str, str] | None
) -> tuple[str, str]:
    """The words of one live win, from the ``celebration`` templates (``celebration_private``
    for a private source, which never see its title)."""
    private = bool(payload.get("private"))
    progress = str(payload.get("progress") or "")
    values = {
        "place": payload["place"],
        "noun": payload["noun"],
        "plural": payload.get("plural", ""),
        "source": payload.get("label", payload["place"]),
        "today": int(payload.get("today", 1)),
        "nth": message.ordinal(int(payload.get("today", 1))),
        "progress": f"; {progress}" if progress else "",
        "title": "" if private else message.clip(str(payload["title"]), 100),
    }
    kind = "celebration_private" if private else "celebration"
    fallback = (f"New {values['noun']} in {values['place']}", values["title"] or values["noun"])
    return templates.render(kind, key, values, avoid=avoid) or fallback


def burst_words(templates: Templates, payloads: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """Several wins of one source at once (a rebase, a sync) told as one message, from the
    ``burst`` templates (``burst_private`` when every one is private: a private win's title
    is never among the titles)."""
    first = payloads[0]
    count = len(payloads)
    places = sorted({p["place"] for p in payloads})
    shown = [p for p in payloads if not p.get("private")]
    titles = [message.clip(str(p["title"]), 50) for p in shown[:3]]
    more = f" and {count - len(titles)} more" if count > len(titles) else ""
    private = not shown
    values = {
        "count": count,
        "plural": first["plural"],
        "what": first.get("noun", first["plural"]) if count == 1 else first["plural"],
        "place": places[0] if len(places) == 1 else first.get("label", first["source"]),
        "source": first.get("label", first["source"]),
        "titles": "" if private else "; ".join(f"\u201c{t}\u201d" for t in titles) + more,
    }
    kind = "burst_private" if private else "burst"
    fallback = (f"{count} {values['what']} in {values['place']}", values["titles"] or "")
    key = f"burst:{first['source']}:{count}:{first.get('title', '')}"
    return templates.render(kind, key, values, avoid=None) or fallback


def summary_moment(
    scan: ScanInfo,
    wins: list[StoredWin],
    *,
    templates: Templates,
    backfill: bool,
    now: datetime,
) -> Moment:
    """History is not news: a first scan (or a backfill) is told as one summary."""
    days = [w.day for w in wins]
    count = len(wins)
    run = message.longest_run(days)
    values = {
        "label": scan.label,
        "count": message.number(count),
        "what": scan.noun if count == 1 else scan.plural,
        "since": f" since {min(days).year}",
        "run": f"; best run {run} days" if run > 1 else "",
    }
    key = f"summary:{scan.name}" if not backfill else f"backfill:{scan.name}:{wins[0].key}"
    kind = "backfill" if backfill else "summary"
    fallback = (scan.label, f"{values['count']} {values['what']}{values['since']}.")
    title, body = templates.render(kind, key, values, avoid=None) or fallback
    return Moment(
        kind="summary",
        dedupe_key=key,
        title=title,
        message=body,
        at=now,
        due_at=now,
        source=scan.name,
        payload={"count": count, "source": scan.name},
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


def burst_due(
    ledger: LedgerView,
    group: str,
    now: datetime,
    window: timedelta,
    hold: Callable[[datetime], datetime] = lambda due: due,
) -> datetime:
    """The due time shared by a burst: a window after the latest win, capped after the first,
    then ``hold`` (quiet hours)."""
    due = now + window
    first = ledger.burst_started(group)
    if first is not None:
        due = min(due, first + window * BURST_CAP_WINDOWS)
    due = hold(due)
    if first is not None:
        ledger.move_burst(group, due)
    return due
