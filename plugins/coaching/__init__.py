"""The built-in coaching: progress rules (DESIGN section 7) and the words of every moment.

It uses only the public plugin API, like any other plugin: a user can switch it off with
``disabled_plugins = ["coaching"]`` and register their own rules and wordings instead.
"""

from __future__ import annotations

from collections.abc import Callable

from smallwins import Rule, hookimpl

from .digests import Digests, week_gain
from .rules import (
    Comebacks,
    LevelUps,
    LongSessions,
    MarginalGains,
    PersonalBests,
    Setbacks,
    Streaks,
    Totals,
    streak_marks,
    total_marks,
)
from .words import SCAN_WORDS, TEMPLATES

__all__ = ["SCAN_WORDS", "TEMPLATES", "streak_marks", "total_marks", "week_gain"]


@hookimpl
def register_rules(register: Callable[[Rule], None]) -> None:
    for rule in (
        Streaks(),
        Totals(),
        PersonalBests(),
        Comebacks(),
        LongSessions(),
        MarginalGains(),
        LevelUps(),
        Setbacks(),
        Digests(),
    ):
        register(rule)


@hookimpl(tryfirst=True)
def register_templates(register: Callable[[str, list[tuple[str, str]]], None]) -> None:
    for kind, variants in (TEMPLATES | SCAN_WORDS).items():
        register(kind, variants)
