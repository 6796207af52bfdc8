"""smallwins: notices your small wins where your progress already leaves traces.

This module is the public API for plugins: import from ``smallwins`` only.
"""

from pydantic import Field, field_validator

from smallwins.detector import (
    Detector,
    DetectorOptions,
    Problem,
    RestDay,
    ScanContext,
    SourceOffer,
)
from smallwins.errors import DetectorError, SmallwinsError
from smallwins.goal import Goal
from smallwins.hookspecs import hookimpl
from smallwins.progress import DayClose, Progress, WeekClose
from smallwins.rules import DayEvent, DigestEvent, Rule, Tell, WeekEvent, WinEvent
from smallwins.win import Win

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
