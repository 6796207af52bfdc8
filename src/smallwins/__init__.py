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
from smallwins.api.progress import DayClose, Progress, WeekClose
from smallwins.api.rules import DayEvent, DigestEvent, Rule, Tell, WeekEvent, WinEvent
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
    "Problem",
    "Progress",
    "RestDay",
    "Rule",
    "ScanContext",
    "SmallwinsError",
    "SourceOffer",
    "Tell",
    "WeekClose",
    "WeekEvent",
    "Win",
    "WinEvent",
    "field_validator",
    "hookimpl",
]
__version__ = "0.1.0"
