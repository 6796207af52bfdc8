"""Goals: what a person wants to grow, measured over the wins of some sources."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Metric = Literal["count", "minutes", "value"]
Per = Literal["day", "week"]
Direction = Literal["at_least", "at_most"]
# Which wins are celebrated one by one: every one, only news, or every one while the habit is new.
Celebrate = Literal["every", "news", "auto"]


def _percent(text: Any) -> Any:
    if isinstance(text, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", text)
        if not match:
            raise ValueError(f'{text!r} is not a percentage like "5%"')
        return float(match[1]) / 100
    return text


class GoalSettings(BaseModel):
    """A ``[goals.NAME]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: tuple[str, ...] = Field(min_length=1)
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    metric: Metric = "count"
    per: Per = "day"
    target: float = Field(1.0, gt=0)
    ramp: float = Field(0.0, ge=0, le=1)
    max_target: float | None = Field(None, gt=0)
    grace_days: int = Field(1, ge=0, le=6)
    setbacks: bool = True
    direction: Direction = "at_least"
    since: date | None = None
    # None: the top-level ``celebrate``.
    celebrate: Celebrate | None = None

    @field_validator("sources", "kinds", "tags", mode="before")
    @classmethod
    def _one_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("ramp", mode="before")
    @classmethod
    def _ramp(cls, value: Any) -> Any:
        return _percent(value)

    @model_validator(mode="after")
    def _ceiling(self) -> GoalSettings:
        if self.max_target is not None and self.max_target < self.target:
            raise ValueError("max_target is below target")
        if self.direction == "at_most" and (self.ramp or self.max_target is not None):
            raise ValueError('a limit (direction = "at_most") has no ramp or max_target')
        if self.since is not None and self.direction != "at_most":
            raise ValueError('since is for a limit: add direction = "at_most" or drop since')
        return self


@dataclass(frozen=True, slots=True)
class Goal:
    """A resolved goal: its settings, its name and what one unit is called."""

    name: str
    sources: tuple[str, ...]
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    metric: Metric = "count"
    per: Per = "day"
    target: float = 1.0
    ramp: float = 0.0
    max_target: float | None = None
    grace_days: int = 1
    setbacks: bool = True
    noun: str = "win"
    plural: str = "wins"
    private: bool = False
    direction: Direction = "at_least"
    since: date | None = None
    # How messages name the goal; empty: its name.
    label: str = ""
    celebrate: Celebrate = "auto"

    @property
    def called(self) -> str:
        """The goal as messages name it."""
        return self.label or self.name

    @property
    def limit(self) -> bool:
        """Whether the target is a limit to stay within (``direction = "at_most"``)."""
        return self.direction == "at_most"

    def counts(self, source: str, kind: str, tags: tuple[str, ...] | list[str]) -> bool:
        """Whether a win of ``source`` with ``kind`` and ``tags`` counts toward this goal."""
        if source not in self.sources:
            return False
        if self.kinds and kind not in self.kinds:
            return False
        return not self.tags or any(tag in tags for tag in self.tags)

    def amount(self, value: float) -> float:
        """What one win adds to the metric."""
        return 1.0 if self.metric == "count" else float(value)

    @property
    def unit(self) -> str:
        if self.metric == "minutes":
            return "min"
        return self.noun if self.metric == "count" else ""

    @property
    def frequency(self) -> float:
        """Target frequency per day, for the strength score (Loop Habit Tracker's ``f``)."""
        if self.per == "day":
            return 1.0
        if self.metric == "count":
            return min(1.0, self.target / 7)
        return 1 / 7

    @classmethod
    def from_settings(
        cls,
        name: str,
        settings: GoalSettings,
        *,
        noun: str,
        plural: str,
        private: bool,
        celebrate: Celebrate = "auto",
    ) -> Goal:
        return cls(
            name=name,
            sources=settings.sources,
            kinds=settings.kinds,
            tags=settings.tags,
            metric=settings.metric,
            per=settings.per,
            target=settings.target,
            ramp=settings.ramp,
            max_target=settings.max_target,
            grace_days=settings.grace_days,
            setbacks=settings.setbacks,
            noun=noun,
            plural=plural,
            private=private,
            direction=settings.direction,
            since=settings.since,
            celebrate=settings.celebrate or celebrate,
        )
