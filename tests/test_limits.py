"""Limits: goals with ``direction = "at_most"`` ("at most 2 coffees a day")."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from smallwins_plugins.coaching import TEMPLATES

from smallwins.api.goal import Goal, GoalSettings
from smallwins.api.progress import Tracker
from tests.histories import Sim, SourceInfo, coach_for, day_goal, local, quiet

MONDAY = date(2025, 3, 3)
GUILT = ("failed", "broke", "lost", "missed out", "should", "small win")


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


def coffee(**kw: object) -> Goal:
    kw = {"since": MONDAY, "target": 2, "noun": "coffee", "plural": "coffees", **kw}
    return day_goal("coffee", "journal", tags=("coffee",), direction="at_most", **kw)


# -- the config ---------------------------------------------------------------------------------


def test_a_limit_is_configured_with_direction_and_since() -> None:
    settings = GoalSettings(sources=["journal"], target=2, direction="at_most", since=MONDAY)
    assert (settings.direction, settings.since) == ("at_most", MONDAY)
    assert GoalSettings(sources=["journal"]).direction == "at_least"
    with pytest.raises(ValidationError, match="since is for a limit"):
        GoalSettings(sources=["journal"], since=MONDAY)
    with pytest.raises(ValidationError, match="no ramp or max_target"):
        GoalSettings(sources=["journal"], direction="at_most", ramp="5%")


# -- streaks and strength -----------------------------------------------------------------------


def test_days_within_the_limit_make_a_streak_from_the_day_the_goal_starts() -> None:
    t = Tracker(coffee())
    assert t.strength == 1.0  # Loop's "at most" score starts full
    t.close_through(day(2))  # three days without a coffee
    assert (t.streak, t.streak_start) == (3, MONDAY)
    t.add(day(3), local(day(3), 8), 1, "espresso")
    t.add(day(3), local(day(3), 14), 1, "flat white")
    today = t.snapshot(day(3))
    assert today.streak == 3  # the open day is told only when it ends, even within the limit
    t.close_through(day(3))
    assert t.streak == 4 and t.strength == 1.0  # 2 of at most 2 is within it


def test_a_day_over_the_limit_uses_grace_then_ends_the_streak() -> None:
    t = Tracker(coffee())
    for n in (2, 3):
        for hour in (8, 11, 15):
            t.add(day(n), local(day(n), hour), 1, "coffee")
    t.close_through(day(2))
    assert t.streak == 2 and t.grace_left == 0  # 3 coffees: over, the grace day holds it
    m = 0.5 ** (1 / 13)
    assert t.strength == pytest.approx(m + 0.5 * (1 - m))  # 3 of at most 2 scores a half
    t.close_through(day(3))
    assert t.streak == 0 and t.best_streak == 2


def test_a_weekly_limit_counts_weeks_within_it() -> None:
    t = Tracker(coffee(per="week", target=10))
    for n in range(7):
        t.add(day(n), local(day(n)), 1, "coffee")
    for n in range(7, 14):
        t.add(day(n), local(day(n)), 2, "coffee")
        t.add(day(n), local(day(n), 13), 1, "coffee")
    t.close_through(day(6))
    assert t.streak == 1  # 7 of at most 10
    t.close_through(day(13))
    assert t.streak == 0  # 21 of at most 10


# -- what is told -------------------------------------------------------------------------------


def sim_for(tmp_path: Path, *goals: Goal) -> Sim:
    return Sim.at(
        tmp_path,
        local(MONDAY, 6),
        lambda: coach_for(list(goals), quiet_hours=quiet("22:00-07:30")),
        {"journal": SourceInfo("note", "notes")},
    )


def test_a_win_against_a_limit_is_never_celebrated(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, coffee())
    sim.win("journal", local(day(0), 8), tags=("coffee",), title="espresso")
    sim.advance(local(day(3), 7, 59))
    told = sim.win("journal", local(day(3), 8), tags=("coffee",), title="espresso")
    assert told == []  # no celebration, no total, no comeback after three days
    other = sim.win("journal", local(day(3), 9), title="wrote a page")
    assert [m.kind for m in other] == ["celebration"]  # other wins are celebrated as ever


def test_staying_within_the_limit_is_told_when_the_day_ends(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, coffee())
    sim.win("journal", local(day(0), 8), tags=("coffee",), title="espresso")
    sim.advance(local(day(3), 12))
    told = sim.told("limit_streak")
    assert [m.dedupe_key for m in told] == [
        f"limit:coffee:{MONDAY}:1",
        f"limit:coffee:{MONDAY}:3",
    ]
    first, third = told
    # Told with the morning after the day that ended (civil hours), not at the coffee.
    assert first.due_at == local(day(1), 7, 30)
    assert "1 day" in first.title + first.message and "2 coffees a day" in third.message
    assert third.due_at == local(day(3), 7, 30)
    assert sim.told("setback") == []


def test_a_digest_lists_no_win_against_a_limit(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, coffee(), day_goal("pages", "journal", tags=("pages",)))
    sim.win("journal", local(day(0), 8), tags=("coffee",), title="espresso")
    sim.advance(local(day(0), 21))
    assert sim.told("digest") == []  # a day with only a coffee has no wins to sum up
    sim.win("journal", local(day(1), 8), tags=("coffee",), title="espresso")
    sim.win("journal", local(day(1), 9), tags=("pages",), title="wrote a page")
    sim.advance(local(day(1), 21))
    (digest,) = sim.told("digest")
    assert "1 win" in digest.title + digest.message


def test_limit_words_celebrate_staying_within_it_and_never_speak_of_guilt() -> None:
    for title, body in TEMPLATES["limit_streak"]:
        assert not any(word in (title + body).lower() for word in GUILT)
        assert "limit" in (title + body) or "within" in (title + body)
