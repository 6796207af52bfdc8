"""The keys of a ``detector = "git"`` source."""

from __future__ import annotations

from typing import Any

from smallwins import DetectorOptions, Field, field_validator

__all__ = ["GitOptions"]


def _as_list(value: Any) -> Any:
    # `repos = "~/src/x"` is the natural thing to write for one repository.
    return [value] if isinstance(value, str) else value


class GitOptions(DetectorOptions):
    """Options of a ``detector = "git"`` source."""

    repos: list[str] = Field(
        min_length=1, description="Git work trees, as paths or globs; ~ is your home folder."
    )
    authors: list[str] = Field(
        default=[],
        description="Whose commits count, by email (any case); default: git config user.email.",
    )
    include_merges: bool = Field(default=False, description="Count merge commits too.")
    branches: list[str] = Field(
        default=[],
        description="Globs on local branch names (main, feature/*); default: every branch.",
    )

    @field_validator("repos", "authors", "branches", mode="before")
    @classmethod
    def _one_is_a_list(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("repos", "branches")
    @classmethod
    def _not_blank(cls, values: list[str]) -> list[str]:
        if any(not value.strip() for value in values):
            raise ValueError("an entry is empty")
        return [value.strip() for value in values]

    @field_validator("authors")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        for value in values:
            if "@" not in value:
                raise ValueError(f"{value!r} is not an email address (like you@example.com)")
        return [value.strip().lower() for value in values]
