"""The environment that makes a daemon's messages the same at any hour the suite runs.

On its defaults the daemon holds what no win just made (a session found in an export, a
setback) through quiet hours, 22:00-07:30, and tells a digest at 20:30: a test that counts
messages would pass or fail by the hour. Tests of quiet hours and digests set their own.
"""

from __future__ import annotations

import pytest

ANY_HOUR = {"TZ": "UTC", "SMALLWINS_DIGEST": "off", "SMALLWINS_NOTIFY__QUIET_HOURS": ""}


def at_any_hour(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ANY_HOUR.items():
        monkeypatch.setenv(name, value)
