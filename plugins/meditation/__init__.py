"""The meditation detector: sessions from the exports that meditation apps write.

Insight Timer, Apple Health (and the apps that write to it), Meditation Helper Plus,
Meditation Assistant, Samsung Health, and a plain CSV/JSON format for everything else.
See docs/sources/meditation.md.
"""

from __future__ import annotations

from collections.abc import Callable

from smallwins import Detector, hookimpl

from .detector import MeditationDetector
from .options import MeditationOptions

__all__ = ["MeditationDetector", "MeditationOptions", "register_detectors"]


@hookimpl
def register_detectors(register: Callable[[type[Detector]], None]) -> None:
    register(MeditationDetector)
