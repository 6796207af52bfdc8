"""How smallwins writes: numbers and ordinals, and every message clipped to a phone's banner
with one emoji (DESIGN section 7, "Voice"). The words themselves are templates."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

TITLE_MAX = 40
BODY_MAX = 200
EMOJI = {
    "celebration": "🎉",
    "burst": "🚀",
    "summary": "👀",
    "backlog": "📬",
    "system": "🔧",
    "streak": "🔥",
    "limit_streak": "🎯",
    "total": "🏁",
    "personal_best": "🏆",
    "comeback": "👋",
    "marginal_gain": "📈",
    "level_up": "⭐",
    "setback": "🌱",
    "never_miss_twice": "🧵",
    "digest": "🌙",
    "weekly_digest": "📅",
    "insight": "🔎",
    "experiment": "🧪",
}
# A kind of a plugin's own: every title starts with one emoji all the same.
EMOJI_OTHER = "✨"


# What a terminal or a notification daemon may act on: C0 but tab and newline, DEL, and C1.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """``text`` safe to show: each control character written out as ``\\u001b``.

    Text from sources (a commit subject, a calendar's line) is shown, never executed: ESC
    would colour a terminal, set its title or clear it. The escape is JSON's own, so JSON
    printed through here still reads back as the same string."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


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
    emoji = "" if plain else EMOJI.get(kind, EMOJI_OTHER)
    limit = TITLE_MAX - (len(emoji) + 1 if emoji else 0)
    title = clip(title, limit)
    return (f"{emoji} {title}" if emoji else title), clip(body, BODY_MAX)


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
