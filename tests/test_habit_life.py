"""Words follow the habit's life (DESIGN section 7, rule 14), checked with the real ``replay``
command over simulated Insight Timer exports: a new habit hears every win, one that has set
hears news only, a wobble brings the celebrations back, and digests earn their place."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from smallwins import Win
from smallwins.api.goal import Goal
from smallwins.api.progress import DayClose, WeekClose
from smallwins.coach.life import SET_DAYS, Life
from smallwins.testing import Harness, run_cli

START = date(2023, 1, 2)  # a Monday
NEWS = {"streak", "total", "personal_best", "comeback", "long_session", "marginal_gain"}


def sits(days: int, *, seed: int = 1, skip: float = 0.05) -> dict[int, float]:
    """A steady practice: a sit of 20 to 35 minutes on most days (``skip`` of them quiet)."""
    rng = random.Random(seed)
    return {n: float(rng.randint(20, 35)) for n in range(days) if n == 0 or rng.random() > skip}


def export(history: dict[int, float], path: Path) -> None:
    """An Insight Timer export of ``history`` (day number -> minutes), newest first."""
    lines = ["Started At,Duration,Preset,Activity"]
    for n in sorted(history, reverse=True):
        at = datetime.combine(START + timedelta(days=n), datetime.min.time()).replace(hour=7)
        minutes = int(history[n])
        lines.append(
            f"{at:%m/%d/%Y %H:%M:%S},{minutes // 60}:{minutes % 60}:0,,PracticeType.Meditation"
        )
    path.write_text("\n".join(lines) + "\n")


def replay(tmp_path: Path, history: dict[int, float], config: str = "") -> list[dict[str, Any]]:
    """``smallwins replay --json`` over ``history`` recorded by a real ``run --once``."""
    home = tmp_path / f"home{len(list(tmp_path.iterdir()))}"
    home.mkdir()
    export(history, home / "InsightTimerLogs.csv")
    (home / "config.toml").write_text(
        f'timezone = "UTC"\n{config}\n[sources.sits]\ndetector = "meditation"\n'
        f'path = "{home / "InsightTimerLogs.csv"}"\n'
    )
    done = run_cli("run", "--once", home=home, timeout=300)
    assert done.returncode == 0, done.stderr
    shown = run_cli("replay", "--json", home=home, timeout=300)
    assert shown.returncode == 0, shown.stderr
    told: list[dict[str, Any]] = json.loads(shown.stdout)
    return told


def day_of(moment: dict[str, Any]) -> int:
    return (date.fromisoformat(moment["at"][:10]) - START).days


def per_week(told: list[dict[str, Any]], first: int, last: int) -> float:
    """Messages a week, as ``replay`` lists them, over days ``first`` to ``last``."""
    return sum(1 for m in told if first <= day_of(m) <= last) / ((last - first + 1) / 7)


def news_of(told: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(m["at"], m["kind"], m["message"]) for m in told if m["kind"] in NEWS]


@pytest.fixture(scope="module")
def steady(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Three years of a steady habit, replayed as it is now and with today's behaviour."""
    tmp_path = tmp_path_factory.mktemp("steady")
    history = sits(3 * 365)
    return {
        "auto": replay(tmp_path, history),
        "every": replay(tmp_path, history, 'celebrate = "every"\ndigest = "daily"'),
        "history": [{"day": n} for n in history],
    }


def test_a_steady_habit_fades_to_news_only_after_it_sets(
    steady: dict[str, list[dict[str, Any]]],
) -> None:
    told, days = steady["auto"], [h["day"] for h in steady["history"]]
    celebrated = Counter(day_of(m) for m in told if m["kind"] == "celebration")
    # The first four weeks celebrate every win.
    assert all(celebrated[n] == 1 for n in days if n < 28)
    # Once the habit has set, a routine win is no longer told on its own: only in the weeks
    # after a wobble (here five quiet days out of seventeen, around day 780).
    late = [n for n in days if n >= 90]
    assert sum(celebrated[n] for n in late) < len(late) / 20
    assert not {n for n in late if celebrated[n]} - set(range(774, 830))
    # At most 5 messages a week over the established period (about 1.3 here), against about
    # 14 when every win and every evening is told.
    last = max(days)
    assert per_week(told, 90, last) <= 5
    assert per_week(steady["every"], 90, last) > 10
    # Every milestone, best and comeback is still told, when it would have been.
    assert news_of(told) == news_of(steady["every"])
    assert {m["kind"] for m in told if day_of(m) >= 90} >= {"streak", "total", "weekly_digest"}


def test_the_weekly_digest_says_one_thing_about_the_week(
    steady: dict[str, list[dict[str, Any]]],
) -> None:
    told = steady["auto"]
    weekly = [m for m in told if m["kind"] == "weekly_digest"]
    # Every Sunday, and never a count of wins.
    assert len(weekly) == len({day_of(m) for m in weekly}) >= 3 * 52
    assert all(date.fromisoformat(m["at"][:10]).weekday() == 6 for m in weekly)
    assert not any(" wins" in m["title"] or "win " in m["title"] for m in weekly)
    facts = " ".join(m["message"] for m in weekly)
    assert "in a row" in facts and "of the week's 7 days" in facts
    # Daily digests come only on days with news: a quiet established habit hears few.
    daily = [m for m in told if m["kind"] == "digest" and day_of(m) >= 90]
    assert len(daily) < len(weekly) / 4
    assert all(m["message"] for m in daily)
    # ``digest = "daily"`` keeps every evening's digest.
    evenings = [m for m in steady["every"] if m["kind"] == "digest"]
    assert len(evenings) >= len(steady["history"]) * 6 / 7 - 10


def test_a_wobble_brings_celebrations_back(tmp_path: Path) -> None:
    """A week away from a set habit: the comeback is told, and so is every win after it,
    until the habit has set again."""
    history = {n: 25.0 for n in range(200) if not 120 <= n < 127}
    told = replay(tmp_path, history)
    celebrated = {day_of(m) for m in told if m["kind"] == "celebration"}
    assert not celebrated & set(range(60, 120)), "set: routine wins fold into the digest"
    assert any(m["kind"] == "comeback" and day_of(m) == 127 for m in told)
    # The first win after the wobble, and the ones after it, are celebrated again ...
    assert set(range(127, 141)) <= celebrated
    # ... until strength has been high for two weeks again.
    assert not celebrated & set(range(170, 200))
    # The day the target is met again after the wobble earns a daily digest.
    digest_days = {day_of(m) for m in told if m["kind"] == "digest"}
    assert 127 in digest_days


def test_a_long_outlier_session_is_told(tmp_path: Path) -> None:
    """158 minutes against a usual half hour, a year after a longer one: not a best of all
    time, but far from the usual, and told even though the habit has set."""
    history = {n: 30.0 for n in range(420)}
    history[20], history[400] = 170.0, 158.0
    told = replay(tmp_path, history)
    (long,) = [m for m in told if m["kind"] == "long_session"]
    assert day_of(long) == 400
    assert "158 min" in f"{long['title']} {long['message']}"
    assert "in 1 year" in f"{long['title']} {long['message']}"
    assert not any(m["kind"] == "personal_best" and day_of(m) == 400 for m in told)
    assert not any(m["kind"] == "celebration" and day_of(m) == 400 for m in told)


def test_celebrate_every_keeps_every_win_celebrated(tmp_path: Path) -> None:
    history = {n: 25.0 for n in range(150)}
    goal = (
        '[goals.sitting]\nsources = ["sits"]\nmetric = "minutes"\ntarget = 10\n'
        'celebrate = "every"\n'
    )
    told = replay(tmp_path, history, goal)
    assert Counter(day_of(m) for m in told if m["kind"] == "celebration") == dict.fromkeys(
        history, 1
    )
    # ``news`` tells even a new habit news only.
    told = replay(tmp_path, history, goal.replace('"every"', '"news"'))
    assert not [m for m in told if m["kind"] == "celebration"]
    assert {"streak", "total"} <= {m["kind"] for m in told if day_of(m) < 28}


def test_a_goal_celebrate_value_is_checked(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(
        '[sources.sits]\ndetector = "meditation"\npath = "x.csv"\n'
        '[goals.sitting]\nsources = ["sits"]\ncelebrate = "sometimes"\n'
    )
    done = run_cli("check-config", home=home)
    assert done.returncode == 78
    assert "celebrate" in done.stderr


@pytest.mark.parametrize("digest", ["auto", "daily"])
def test_a_daily_digest_comes_on_a_day_with_news(digest: str) -> None:
    """Wins in two places and two targets met for the first time are news; the next day's one
    routine win is not (``digest = "daily"`` tells both evenings, as before)."""
    monday = datetime(2026, 3, 2, 9, tzinfo=UTC)
    goals = {name: {"sources": [name]} for name in ("a", "b")}
    with Harness(now=monday, config={"goals": goals, "digest": digest}) as h:
        h.record("a", [Win("a1", "one", monday, kind="commit")])
        h.record("b", [Win("b1", "two", monday, kind="commit")])
        first = [
            m for m in h.advance(datetime(2026, 3, 2, 21, tzinfo=UTC)) if m.category == "digest"
        ]
        h.record("a", [Win("a2", "three", datetime(2026, 3, 3, 9, tzinfo=UTC), kind="commit")])
        second = [
            m for m in h.advance(datetime(2026, 3, 3, 21, tzinfo=UTC)) if m.category == "digest"
        ]
    (told,) = first
    assert told.kind == "digest"
    if digest == "auto":
        assert "the target met for the first time" in told.message
        assert second == []
    else:
        assert told.payload["news"] and [m.kind for m in second] == ["digest"]


def test_a_life_taken_in_at_once_is_the_life_taken_in_day_by_day() -> None:
    """A daemon that starts takes in the whole history in one go; one that runs, a day at a
    time. A weekly goal met, then set for two weeks, then wobbling, is wobbling either way
    (the digest says "back on target" when its next week is met)."""
    goal = Goal("weekly", ("code",), per="week", target=3)
    monday = date(2026, 11, 2)
    strengths = [0.9] * 7 + [0.9] * SET_DAYS + [0.5]
    days = [
        DayClose(monday + timedelta(days=n), 1.0, True, False, False, False, 0, strength)
        for n, strength in enumerate(strengths)
    ]
    first_week = WeekClose(monday, 3.0, None, 3, 3, True, 3.0, 3.0)
    at_once = Life.of(goal, days, [first_week])
    day_by_day = Life()
    for day in days:
        day_by_day.close(goal, [day], [first_week] if day.day == monday + timedelta(days=6) else [])
    assert (at_once.wobbled, at_once.ever_met) == (day_by_day.wobbled, day_by_day.ever_met)
    assert at_once.wobbled and at_once.ever_met
