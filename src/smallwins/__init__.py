"""smallwins: notices your small wins where your progress already leaves traces.

This module is the public API for plugins: import from ``smallwins`` only.
"""

from pydantic import Field, field_validator

from smallwins.detector import Detector, DetectorOptions, Problem, RestDay, ScanContext
from smallwins.errors import DetectorError, SmallwinsError
from smallwins.hookspecs import hookimpl
from smallwins.win import Win

__all__ = [
    "Detector",
    "DetectorError",
    "DetectorOptions",
    "Field",
    "Problem",
    "RestDay",
    "ScanContext",
    "SmallwinsError",
    "Win",
    "field_validator",
    "hookimpl",
]
__version__ = "0.1.0"
