"""The options of a ``detector = "meditation"`` source, validated when the config is read."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smallwins import DetectorOptions, Field, field_validator

# The formats by name (detect.py has their readers) and the plain format's columns. Named here
# rather than imported: every command builds the options, and only a scan reads exports.
FORMATS = (
    "insight_timer",
    "apple_health",
    "meditation_helper",
    "meditation_assistant",
    "samsung_health",
    "plain",
)
FIELDS = ("start", "end", "duration", "kind", "note")


class MeditationOptions(DetectorOptions):
    """Options of a ``detector = "meditation"`` source."""

    path: str = Field(
        description="An export file, or a folder of them (and of unzipped exports one level "
        "down); ~ is your home folder."
    )
    format: str = Field(
        default="auto",
        description="auto (told from each file's content), or one of: " + ", ".join(FORMATS),
    )
    activities: list[str] = Field(
        default=[],
        description="Which activities count (meditation, walking, tai chi, breathing, ...); "
        "default: all of them.",
    )
    min_minutes: float = Field(
        default=1.0, ge=0, description="Shorter sessions do not count (default 1 minute)."
    )
    max_minutes: float = Field(
        default=240.0,
        gt=0,
        description="A longer session (a timer left running) counts as this many minutes; "
        "the win keeps the raw duration and says it was capped. Default 4 hours.",
    )
    timezone: str | None = Field(
        default=None,
        description="The zone of the app's wall-clock times when it differs from the "
        "configured timezone (an IANA name such as Europe/Berlin).",
    )
    columns: dict[str, str] = Field(
        default={},
        description="Plain format: your file's names for start, end, duration, kind and note, "
        'such as { start = "Date", duration = "Minutes" }.',
    )

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the path is empty")
        return value.strip()

    @field_validator("format", mode="before")
    @classmethod
    def _format(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        name = value.strip().lower().replace("-", "_").replace(" ", "_")
        if name != "auto" and name not in FORMATS:
            raise ValueError(f"unknown format {value!r}; known: auto, {', '.join(FORMATS)}")
        return name

    @field_validator("activities", mode="before")
    @classmethod
    def _activities(cls, value: Any) -> Any:
        # `activities = "walking"` is the natural thing to write for one.
        return [value] if isinstance(value, str) else value

    @field_validator("activities")
    @classmethod
    def _activity_names(cls, values: list[str]) -> list[str]:
        if any(not value.strip() for value in values):
            raise ValueError("an activity is empty")
        from .session import activity_of

        return sorted({activity_of(value) for value in values})

    @field_validator("max_minutes")
    @classmethod
    def _above_min(cls, value: float, info: Any) -> float:
        shortest = info.data.get("min_minutes")
        if shortest is not None and value < shortest:
            raise ValueError(f"max_minutes ({value:g}) is below min_minutes ({shortest:g})")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin"
            ) from None
        return value.strip()

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            raise ValueError(
                f"unknown column {unknown[0]!r}; the plain format has: {', '.join(FIELDS)}"
            )
        if any(not name.strip() for name in value.values()):
            raise ValueError("a column name is empty")
        return {key: name.strip().lower() for key, name in value.items()}
