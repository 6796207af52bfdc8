"""What smallwins says: short, specific, kind (DESIGN section 7, "Voice")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

TITLE_MAX = 40
BODY_MAX = 200
EMOJI = {"celebration": "🎉", "burst": "🚀", "summary": "👀", "backlog": "📬", "system": "🔧"}


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def number(n: float) -> str:
    return f"{n:,.0f}" if float(n).is_integer() else f"{n:,.1f}"


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def finish(kind: str, title: str, body: str, *, plain: bool) -> tuple[str, str]:
    """Clip to what fits a phone banner and put one emoji at the start of the title.

    Applied when a message is sent, so moments keep plain text and ``plain`` can change."""
    emoji = "" if plain else EMOJI.get(kind, "")
    limit = TITLE_MAX - (len(emoji) + 1 if emoji else 0)
    title = clip(title, limit)
    return (f"{emoji} {title}" if emoji else title), clip(body, BODY_MAX)


def celebration(payload: dict[str, Any]) -> tuple[str, str]:
    """One live win: 'Small win in smallwins' / '"Add vdir support" - your 3rd commit today.'"""
    noun, place = payload["noun"], payload["place"]
    today = int(payload.get("today", 1))
    progress = payload.get("progress") or ""
    if payload.get("private"):
        body = f"A new {noun}: your {ordinal(today)} today"
    else:
        body = f"\u201c{clip(payload['title'], 100)}\u201d - your {ordinal(today)} {noun} today"
    return f"Small win in {place}", f"{body}; {progress}." if progress else f"{body}."


def burst(payloads: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """Several wins of one source at once (a rebase, a sync) told as one message."""
    first = payloads[0]
    count = len(payloads)
    places = sorted({p["place"] for p in payloads})
    place = places[0] if len(places) == 1 else first["source"]
    title = f"{count} {first['plural']} in {place}"
    if first.get("private"):
        body = f"{count} new {first['plural']} just now."
    else:
        titles = [clip(p["title"], 50) for p in payloads[:3]]
        more = f" and {count - 3} more" if count > 3 else ""
        body = (
            f"{count} {first['plural']} just landed: "
            + "; ".join(f"\u201c{t}\u201d" for t in titles)
            + more
            + "."
        )
    return title, body


def summary(
    *,
    label: str,
    count: int,
    noun: str,
    plural: str,
    first_day: date | None,
    best_run: int,
    backfill: bool,
) -> tuple[str, str]:
    """The first scan of a source, told once: history is not news."""
    what = noun if count == 1 else plural
    since = f" since {first_day.year}" if first_day else ""
    run = f"; best run {best_run} days" if best_run > 1 else ""
    if backfill:
        body = f"Added {number(count)} earlier {what}{since}{run}. New ones will be celebrated."
        return f"More to watch in {label}", body
    body = f"Found {number(count)} past {what}{since}{run}. New ones will be celebrated."
    return f"Watching {label}", body


def backlog(messages: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """Many waiting messages for one target (after an outage) folded into one."""
    titles = [title for title, _ in messages]
    shown = "; ".join(titles[:4]) + (f"; and {len(titles) - 4} more" if len(titles) > 4 else "")
    return f"{len(messages)} messages while away", shown


def longest_run(days: Sequence[date]) -> int:
    """The longest run of consecutive days among ``days``."""
    ordered = sorted(set(days))
    best = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        best = max(best, run)
        previous = day
    return best
