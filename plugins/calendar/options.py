"""The keys of a ``detector = "calendar"`` source, and the patterns they hold."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from smallwins import DetectorOptions, Field, field_validator

__all__ = ["CalendarOptions", "Patterns"]


class Patterns:
    """Case-insensitive globs ("Gym*", "run", "yoga ?") matched against whole texts."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(p.casefold() for p in patterns)
        # A series asks the same question for each occurrence: answer it once.
        self._answers: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def match(self, text: str) -> bool:
        answer = self._answers.get(text)
        if answer is None:
            folded = " ".join(text.split()).casefold()
            answer = any(fnmatch.fnmatchcase(folded, p) for p in self.patterns)
            if len(self._answers) < 10_000:
                self._answers[text] = answer
        return answer

    def match_any(self, texts: Iterable[str]) -> bool:
        return any(self.match(text) for text in texts)


def _as_list(value: Any) -> Any:
    # `path = "~/cal.ics"` and `events = "Gym*"` are the natural way to write one of each.
    return [value] if isinstance(value, str) else value


class CalendarOptions(DetectorOptions):
    """Options of a ``detector = "calendar"`` source."""

    path: list[str] = Field(
        min_length=1,
        description="An .ics file, a folder of them or a vdir (one collection a subfolder); "
        "a list for several; globs and ~ allowed.",
    )
    events: list[str] = Field(
        default=[],
        description='Globs on an event\'s title (SUMMARY), any case: ["Gym*", "Run*"]. '
        "A finished occurrence that matches is a win.",
    )
    categories: list[str] = Field(
        default=[],
        description='Globs on an event\'s CATEGORIES, any case: ["Sport"].',
    )
    todos: bool = Field(default=False, description="Completed to-dos (VTODO) are wins too.")
    rest: list[str] = Field(
        default=[],
        description="Globs on the title or categories of events that mark rest days: "
        '["Vacation*"].',
    )
    lookback: int = Field(
        default=90,
        ge=0,
        le=3660,
        description="How many days back the first scan (and an edited file) looks for wins.",
    )
    max_file_mib: float = Field(
        default=20.0, gt=0, description="Files larger than this (in MiB) are skipped."
    )

    @field_validator("path", "events", "categories", "rest", mode="before")
    @classmethod
    def _one_is_a_list(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("path", "events", "categories", "rest")
    @classmethod
    def _not_blank(cls, values: list[str]) -> list[str]:
        if any(not value.strip() for value in values):
            raise ValueError("an entry is empty")
        return [value.strip() for value in values]

    def counts_nothing(self) -> bool:
        return not (self.events or self.categories or self.todos or self.rest)
