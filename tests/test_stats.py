"""``smallwins stats``: a real ledger, the real command, the coach's own numbers."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from smallwins.api.goal import Goal
from smallwins.api.progress import Tracker, ramped
from smallwins.api.win import local_day
from smallwins.coach.coach import build_coach
from smallwins.coach.stats import Day, cell, gather, heatmap, render
from smallwins.config import load_config
from smallwins.ledger import open_ledger, sqlite_url
from smallwins.plugins.loader import load_plugins
from smallwins.plugins.source import build_sources
from tests.cli_run import smallwins
from tests.daemon_proc import DaemonProcess

# A local plugin like a user's own: one session a line (`2026-03-01T07:10:00+00:00 12 Sit`)
# and `rest 2026-03-04 Holiday` lines for rest days.
SESSIONS_PLUGIN = """
from datetime import date, datetime
from pathlib import Path

from smallwins import Detector, DetectorOptions, RestDay, Win, hookimpl


class SessionOptions(DetectorOptions):
    path: Path


class Sessions(Detector):
    name = "sessions"
    Options = SessionOptions
    noun = "session"

    def watch_paths(self):
        return [self.options.path]

    def scan(self, context):
        rests = []
        for line in self.options.path.read_text().splitlines():
            head, _, rest = line.partition(" ")
            if head == "rest":
                rests.append(RestDay(date.fromisoformat(rest.split()[0]), "holiday"))
                continue
            minutes, _, title = rest.partition(" ")
            yield Win(key=head, title=title, occurred_at=datetime.fromisoformat(head),
                      kind="meditation", value=float(minutes), unit="min")
        context.set_rest_days(rests)
        context.save_cursor({})


@hookimpl
def register_detectors(register):
    register(Sessions)
"""

CONFIG = """\
timezone = "UTC"
plugins_dir = "{plugins}"

[sources.sits]
detector = "sessions"
path = "{log}"

[goals.sitting]
sources = ["sits"]
metric = "minutes"
target = 10
ramp = "5%"
max_target = 11

[goals.weekly]
sources = ["sits"]
per = "week"
target = 4
"""

M = 0.5 ** (1 / 13)  # the strength score's daily factor for a goal of once a day


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def setup_history(home: Path, lines: list[str]) -> Path:
    """The config, the plugin and the sessions log; returns the log."""
    plugins = home / "plugins"
    plugins.mkdir(mode=0o755, exist_ok=True)
    plugins.chmod(0o755)
    (plugins / "sessions.py").write_text(SESSIONS_PLUGIN)
    (plugins / "sessions.py").chmod(0o644)
    log = home / "sits.txt"
    log.write_text("".join(f"{line}\n" for line in lines))
    (home / "config.toml").write_text(CONFIG.format(plugins=plugins, log=log))
    return log


def session(at: datetime, minutes: float) -> str:
    return f"{at.isoformat()} {minutes:g} Morning sit"


def record(home: Path, lines: list[str]) -> Path:
    log = setup_history(home, lines)
    done = smallwins("run", "--once", env=env())
    assert done.returncode == 0, done.stderr
    return log


def stats_json() -> list[dict[str, Any]]:
    done = smallwins("stats", "--json", env=env())
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def recent_history(days: int, rest: int, now: datetime) -> list[str]:
    """15 minutes every morning for ``days`` days up to now, but a rest day ``rest`` days ago."""
    today = local_day(now, UTC, time(4))
    lines = [f"rest {today - timedelta(days=rest)}"]
    for back in range(days - 1, 0, -1):
        day = today - timedelta(days=back)
        if back != rest:
            lines.append(session(datetime.combine(day, time(7, 10), UTC), 15))
    lines.append(session(now.replace(microsecond=0), 15))  # today's, at the local day's now
    return lines


# -- the command, end to end --------------------------------------------------------------


def test_stats_json_has_each_goals_numbers(home: Path) -> None:
    now = datetime.now(UTC)
    today = local_day(now, UTC, time(4))
    record(home, recent_history(40, 10, now))

    sitting, weekly = stats_json()

    assert sitting["goal"] == "sitting" and weekly["goal"] == "weekly"
    assert sitting["today"] == today.isoformat()
    assert (sitting["metric"], sitting["per"], sitting["unit"]) == ("minutes", "day", "min")
    # Every day met, the rest day aside (it neither counts nor breaks): 38 days and today.
    assert sitting["streak"] == sitting["best_streak"] == 39
    assert sitting["streak_unit"] == "days"
    assert sitting["streak_start"] == (today - timedelta(days=39)).isoformat()
    # Strong weeks ramped 10 -> 10.5 -> 11 (max_target caps 11.03), and it stays there.
    assert sitting["target"] == sitting["next_target"] == sitting["max_target"] == 11
    # Loop's score: 38 closed days done in a row (the rest day skipped) from 0.
    assert sitting["strength"] == pytest.approx(100 * (1 - M**38), abs=0.05)
    assert sitting["total_count"] == 39 and sitting["total_value"] == 39 * 15
    assert sitting["total_hours"] == pytest.approx(39 * 15 / 60, abs=0.01)
    assert sitting["today_value"] == 15
    this_week = 15 * (today.weekday() + 1)
    assert sitting["this_week"] == this_week
    # The median of the four weeks before: one of them lost a day to rest, three are full.
    assert sitting["baseline"] == 105
    assert sitting["this_week_percent"] == round(this_week / 105 * 100)
    assert sitting["first_day"] == (today - timedelta(days=39)).isoformat()

    days = sitting["days"]
    assert len(days) == 84
    assert [d["day"] for d in days] == [
        (today - timedelta(days=n)).isoformat() for n in range(83, -1, -1)
    ]
    assert set(days[0]) == {"day", "value", "rest"}
    assert [d["value"] for d in reversed(days)] == [
        15 if n < 40 and n != 10 else 0 for n in range(84)
    ]
    assert [d["day"] for d in days if d["rest"]] == [(today - timedelta(days=10)).isoformat()]

    assert (weekly["metric"], weekly["per"], weekly["streak_unit"]) == ("count", "week", "weeks")
    assert weekly["target"] == weekly["next_target"] == 4  # no ramp: the target stays
    assert weekly["total_count"] == 39 and weekly["total_hours"] is None
    assert weekly["best_single"] is None


def test_stats_text_shows_the_numbers_and_the_heat_map_of_the_json(home: Path) -> None:
    now = datetime.now(UTC)
    record(home, recent_history(40, 10, now))
    sitting = stats_json()[0]

    done = smallwins("stats", env=env())

    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("sitting: minutes a day, from sits\n")
    assert "  streak     39 days, best 39 days\n" in text
    assert "  totals     39 sessions, 9.8 hours\n" in text
    assert "  target     11 min a day (at its max_target)\n" in text
    assert f": {sitting['this_week_percent']}% of your usual 105 min\n" in text
    block = text.split("\n\n")[1]
    days = [Day(date.fromisoformat(d["day"]), d["value"], d["rest"]) for d in sitting["days"]]
    grid = heatmap(
        days,
        today=date.fromisoformat(sitting["today"]),
        share=sitting["target"],
        first_day=date.fromisoformat(sitting["first_day"]),
    )
    assert block.splitlines()[: len(grid)] == [f"  {line}".rstrip() for line in grid]
    rows = block.splitlines()[1:8]
    assert [row[2:5] for row in rows] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert sum(row[5:].count("r") for row in rows) == 1  # the one rest day
    assert "weekly: sessions a week, from sits" in text


def test_stats_before_any_scan_shows_each_goal_at_zero(home: Path) -> None:
    setup_history(home, [])

    (sitting, weekly) = stats_json()

    assert sitting["streak"] == 0 and sitting["total_count"] == 0
    assert sitting["baseline"] is None and sitting["first_day"] is None
    assert sitting["target"] == 10 and sitting["next_target"] == 10.5
    assert len(sitting["days"]) == 84 and weekly["streak_unit"] == "weeks"
    text = smallwins("stats", env=env()).stdout
    assert "  no sessions yet" in text
    assert "  target     10 min a day; 10.5 min after a strong week (ramp 5%, max 11)\n" in text
    assert not (home / "data" / "ledger.sqlite3").exists()


def test_stats_with_no_sources_says_what_to_do(home: Path) -> None:
    # The journal is always there unless the config turns it off.
    (home / "config.toml").write_text(
        'timezone = "UTC"\n[sources.journal]\ndetector = "journal"\nenabled = false\n'
    )
    assert smallwins("stats", "--json", env=env()).stdout.strip() == "[]"
    assert "No goals yet" in smallwins("stats", env=env()).stdout


def test_stats_reads_while_the_daemon_runs_and_sees_a_live_win(home: Path) -> None:
    now = datetime.now(UTC)
    log = record(home, recent_history(40, 10, now)[:-1])  # nothing yet today
    assert stats_json()[0]["streak"] == 38

    daemon = DaemonProcess(home, home)
    try:
        daemon.wait_ready()
        assert stats_json()[0]["today_value"] == 0
        with log.open("a") as out:
            out.write(session(datetime.now(UTC).replace(microsecond=0), 12) + "\n")
        deadline = clock.monotonic() + 20
        while (sitting := stats_json()[0])["today_value"] == 0:
            assert clock.monotonic() < deadline, daemon.stderr
            clock.sleep(0.2)
        assert sitting["today_value"] == 12 and sitting["streak"] == 39
    finally:
        daemon.stop()
        daemon.close()


def test_stats_never_imports_apprise(home: Path) -> None:
    record(home, recent_history(10, 3, datetime.now(UTC)))

    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "smallwins", "stats", "--json"],
        capture_output=True,
        text=True,
        env=env(),
        check=False,
    )

    assert done.returncode == 0, done.stderr
    imported = re.findall(r"\|\s+(\S+)$", done.stderr, re.M)
    assert "smallwins.coach.stats" in imported
    assert [name for name in imported if name.split(".")[0] == "apprise"] == []


# -- one fixed day, the whole report ------------------------------------------------------


def fixed_history() -> list[str]:
    """Ten weeks of sits up to Wednesday 18 March 2026: every level of the heat map, a gap,
    and a holiday of rest days."""
    lines = [f"rest {date(2026, 2, 16) + timedelta(days=n)}" for n in range(3)]
    pattern = [12, 11, 0, 4, 8, 18, 10, 13, 12, 11, 15, 0, 0, 10]
    day = date(2026, 1, 7)
    while day <= date(2026, 3, 18):
        minutes = pattern[(day - date(2026, 1, 7)).days % len(pattern)]
        if minutes and not date(2026, 2, 16) <= day <= date(2026, 2, 18):
            lines.append(session(datetime.combine(day, time(7, 10), UTC), minutes))
        day += timedelta(days=1)
    return lines


SNAPSHOT = """\
sitting: minutes a day, from sits
  streak     1 day, best 6 days
  strength   68%
  totals     54 sessions, 10.2 hours
  bests      longest 18 min, biggest day 18 min, biggest week 79 min
  this week  22 min so far: 35% of your usual 62 min
  target     11 min a day (at its max_target)

         Jan     Feb     Mar
  Mon      █ · █ · █ r █ · █ ·
  Tue      ▒ ▒ ▒ ▒ ▒ r ▒ ▒ ▒ ▒
  Wed    ▓ ▓ ▓ ▓ ▓ ▓ r ▓ ▓ ▓ ▓
  Thu    ▓ ▓ ▓ ▓ ▓ ▓ ▓ ▓ ▓ ▓
  Fri    · ▓ · ▓ · ▓ · ▓ · ▓
  Sat    ░ ▓ ░ ▓ ░ ▓ ░ ▓ ░ ▓
  Sun    ▒ · ▒ · ▒ · ▒ · ▒ ·
  · none  ░ under half  ▒ under target  ▓ target met  █ 1.5x target  r rest day

weekly: sessions a week, from sits
  streak     3 weeks, best 6 weeks
  strength   92%
  totals     54 sessions
  bests      biggest day 1 session, biggest week 6 sessions
  this week  2 sessions so far: 36% of your usual 5.5 sessions
  target     4 sessions a week (no ramp)

         Jan     Feb     Mar
  Mon      █ · █ · █ r █ · █ ·
  Tue      █ █ █ █ █ r █ █ █ █
  Wed    █ █ █ █ █ █ r █ █ █ █
  Thu    █ █ █ █ █ █ █ █ █ █
  Fri    · █ · █ · █ · █ · █
  Sat    █ █ █ █ █ █ █ █ █ █
  Sun    █ · █ · █ · █ · █ ·
  · none  ░ under half  ▒ under target  ▓ target met  █ 1.5x target  r rest day
  (a day's target: a seventh of the week's, 0.57 sessions)
"""


def test_stats_report_snapshot(home: Path) -> None:
    record(home, fixed_history())
    config = load_config(home / "config.toml")
    plugins = load_plugins(config.settings.plugins_dir, config.settings.disabled_plugins)
    sources = build_sources(config, plugins)
    coach = build_coach(config.settings, sources, plugins.rules, plugins.templates)

    with open_ledger(sqlite_url(home / "data" / "ledger.sqlite3"), readonly=True) as ledger:
        found = gather(coach, ledger, datetime(2026, 3, 18, 19, 0, tzinfo=UTC))

    assert render(found) == SNAPSHOT


# -- the pieces ---------------------------------------------------------------------------


def test_next_target_is_the_step_the_tracker_takes_after_a_strong_week() -> None:
    goal = Goal("sitting", ("sits",), metric="minutes", target=10, ramp=0.05, max_target=11)
    tracker = Tracker(goal)
    monday = date(2026, 3, 2)
    expected = []
    for week in range(3):
        expected.append(ramped(goal, tracker.target))
        for n in range(7):
            day = monday + timedelta(weeks=week, days=n)
            tracker.add(day, datetime.combine(day, time(8), UTC), 15, "sit")
        tracker.close_through(monday + timedelta(weeks=week, days=6))
        assert tracker.target == expected[-1]
    assert expected == [10.5, 11, 11]
    assert ramped(Goal("plain", ("sits",), target=3), 3) == 3


@pytest.mark.parametrize(
    ("value", "rest", "mark"),
    [
        (0, False, "·"),
        (0, True, "r"),
        (4.9, False, "░"),
        (5, False, "▒"),
        (9.99, True, "▒"),  # a win on a rest day counts as a win
        (10, False, "▓"),
        (14.9, False, "▓"),
        (15, False, "█"),
        (math.inf, False, "█"),
    ],
)
def test_a_cell_is_the_day_against_its_target(value: float, rest: bool, mark: str) -> None:
    assert cell(value, rest, 10) == mark


def test_the_heat_map_leaves_days_before_the_first_win_and_after_today_blank() -> None:
    today = date(2026, 3, 4)  # a Wednesday
    days = [Day(today - timedelta(days=n), 1, False) for n in range(10)]
    grid = heatmap(days, today=today, share=1, first_day=today - timedelta(days=5), weeks=2)
    # February's label would run into March's, a week later: March alone is named.
    assert grid[0] == "       Mar"
    assert grid[1:8] == [
        "Mon    ▓",
        "Tue    ▓",
        "Wed    ▓",
        "Thu",
        "Fri  ▓",
        "Sat  ▓",
        "Sun  ▓",
    ]
    assert "r rest day" in grid[8]
