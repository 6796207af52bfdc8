"""smallwins: notices your small wins where your progress already leaves traces.

This module is the public API for plugins: import from ``smallwins`` only.

Each name is imported on first use (PEP 562), so that a module deep in the package, or a
short command such as ``smallwins done``, does not pay for the whole face.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import Field, field_validator

    from smallwins.api.detector import (
        Detector,
        DetectorOptions,
        Problem,
        RestDay,
        ScanContext,
        SourceOffer,
    )
    from smallwins.api.goal import Goal
    from smallwins.api.hookspecs import hookimpl
    from smallwins.api.host import Host, Recorded, data_folder, host
    from smallwins.api.progress import DayClose, Progress, WeekClose
    from smallwins.api.rules import (
        DayEvent,
        DigestEvent,
        Rule,
        SourceWords,
        Tell,
        WeekEvent,
        WinEvent,
    )
    from smallwins.api.win import Win
    from smallwins.errors import DetectorError, SmallwinsError

# Where each public name lives.
_HOMES = {
    "DayClose": "smallwins.api.progress",
    "DayEvent": "smallwins.api.rules",
    "Detector": "smallwins.api.detector",
    "DetectorError": "smallwins.errors",
    "DetectorOptions": "smallwins.api.detector",
    "DigestEvent": "smallwins.api.rules",
    "Field": "pydantic",
    "Goal": "smallwins.api.goal",
    "Host": "smallwins.api.host",
    "Problem": "smallwins.api.detector",
    "Progress": "smallwins.api.progress",
    "Recorded": "smallwins.api.host",
    "RestDay": "smallwins.api.detector",
    "Rule": "smallwins.api.rules",
    "ScanContext": "smallwins.api.detector",
    "SmallwinsError": "smallwins.errors",
    "SourceOffer": "smallwins.api.detector",
    "SourceWords": "smallwins.api.rules",
    "Tell": "smallwins.api.rules",
    "WeekClose": "smallwins.api.progress",
    "WeekEvent": "smallwins.api.rules",
    "Win": "smallwins.api.win",
    "WinEvent": "smallwins.api.rules",
    "data_folder": "smallwins.api.host",
    "field_validator": "pydantic",
    "hookimpl": "smallwins.api.hookspecs",
    "host": "smallwins.api.host",
}

__all__ = [
    "DayClose",
    "DayEvent",
    "Detector",
    "DetectorError",
    "DetectorOptions",
    "DigestEvent",
    "Field",
    "Goal",
    "Host",
    "Problem",
    "Progress",
    "Recorded",
    "RestDay",
    "Rule",
    "ScanContext",
    "SmallwinsError",
    "SourceOffer",
    "SourceWords",
    "Tell",
    "WeekClose",
    "WeekEvent",
    "Win",
    "WinEvent",
    "data_folder",
    "field_validator",
    "hookimpl",
    "host",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'smallwins' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next use is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
