"""Errors that the command line turns into one readable line and an exit code."""

from __future__ import annotations


class SmallwinsError(Exception):
    """Base of every error smallwins reports to a person."""

    exit_code = 1


class ConfigError(SmallwinsError):
    """The configuration is invalid: exit 78 (EX_CONFIG).

    ``problems`` lists every problem found, one line each; the message names the first.
    """

    exit_code = 78

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class AlreadyRunning(SmallwinsError):
    """Another daemon holds the lock on the state directory: exit 75 (EX_TEMPFAIL)."""

    exit_code = 75


class DetectorError(SmallwinsError):
    """A detector cannot scan its source (a missing path, not a repository, ...).

    Raised by detectors for problems the user can fix; it is shown as one line, without a
    traceback, and the other sources go on.
    """
