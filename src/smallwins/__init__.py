"""smallwins: notices your small wins where your progress already leaves traces.

This module is the public API for plugins: import from ``smallwins`` only.
"""

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
