"""Moments: things worth telling a person, each told once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Moments about what one machine saw (a live win's celebration, a first scan's summary) or
# about the machine itself (category "system"): told by that machine. Every other moment
# (milestones, bests, comebacks, gains, level-ups, setbacks, digests, a plugin's own kinds)
# belongs to the person, and on a shared ledger is told by the lead alone.
MACHINE_KINDS = frozenset({"celebration", "summary", "system"})

# The Apprise notify type of each category (DESIGN section 6): a setback is never a warning.
NOTIFY_TYPES = {"celebration": "success", "digest": "info", "setback": "info", "system": "warning"}


@dataclass(slots=True)
class Moment:
    """Something to tell. ``dedupe_key`` makes it told at most once, ever.

    ``category`` picks the targets (their tags) and the notify type; ``group`` lets moments
    that wait together (a burst of one source's wins) be told as one message.
    """

    kind: str
    dedupe_key: str
    title: str
    message: str
    at: datetime
    due_at: datetime
    category: str = "celebration"
    source: str | None = None
    goal: str | None = None
    group: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    deliver: bool = True

    @property
    def of_machine(self) -> bool:
        """Whether the machine that made it tells it (else it is the person's: the lead's)."""
        return self.kind in MACHINE_KINDS or self.category == "system"

    @property
    def notify_type(self) -> str:
        return NOTIFY_TYPES.get(self.category, "info")

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "goal": self.goal,
            "source": self.source,
            "title": self.title,
            "message": self.message,
            "category": self.category,
            "notify_type": self.notify_type,
        }
