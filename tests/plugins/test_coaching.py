"""The coaching plugin, tested as any plugin author tests a rule or a wording: with the kit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from smallwins import Win
from smallwins.testing import Harness, load, run_cli

MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)


def sit(n: int, minutes: float = 12) -> Win:
    return Win(f"sit-{n}", f"{minutes:g} min sit", MONDAY + timedelta(days=n), value=minutes)


def test_three_days_running_make_a_streak_told_once() -> None:
    with Harness(now=MONDAY) as harness:
        for n in range(3):
            harness.advance(MONDAY + timedelta(days=n))
            harness.record("sits", [sit(n)])
        harness.record("sits", [sit(2)])  # the same win again: nothing new to tell
        streaks = harness.moments("streak")
        assert [m.dedupe_key for m in streaks] == ["streak:sits:2026-03-02:3"]
        assert [m.kind for m in harness.moments("celebration")] == ["celebration"] * 3


def test_the_clock_tells_the_evening_digest() -> None:
    with Harness(now=MONDAY, config={"notify": {"quiet_hours": ""}}) as harness:
        harness.record("sits", [sit(0)])
        told = harness.advance(timedelta(hours=12))
        assert [m.kind for m in told] == ["digest"]
        assert "1 win" in told[0].title + told[0].message


def test_goals_and_wordings_come_from_the_config() -> None:
    config = {
        "goals": {"sitting": {"sources": ["sits"], "metric": "minutes", "target": 10}},
        "templates": {"celebration": [{"title": "Sat in {place}", "body": "{title}{progress}."}]},
    }
    with Harness(now=MONDAY, config=config) as harness:
        harness.record("sits", [sit(0, minutes=12)])
        (celebration,) = harness.moments("celebration")
        assert (celebration.title, celebration.message) == (
            "Sat in sits",
            "12 min sit; 12 of 10 min today, target met.",
        )
        assert harness.words("streak", {"n": 3, "unit": "days", "unit1": "day", "goal": "x"})


def test_without_the_coaching_plugin_nothing_but_the_win_is_told() -> None:
    with Harness(now=MONDAY, plugins=load()) as harness:
        for n in range(3):
            harness.record("sits", [sit(n)], now=MONDAY + timedelta(days=n))
        assert {m.kind for m in harness.moments()} == {"celebration"}


def test_the_command_line_sees_what_the_kit_recorded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    with Harness(home / "data", now=MONDAY) as harness:
        harness.record("sits", [sit(0), sit(1)])
    done = run_cli("wins", "--json", home=home)
    assert done.returncode == 0, done.stderr
    assert [w["title"] for w in json.loads(done.stdout)] == ["12 min sit", "12 min sit"]


def test_a_win_is_told_before_what_it_caused() -> None:
    window = timedelta(seconds=0.4)  # the default coalescing window
    with Harness(now=MONDAY, config={"notify": {"quiet_hours": ""}}) as harness:
        harness.record("sits", [sit(0)])
        assert harness.ledger.due(MONDAY, ["test"]) == []  # nothing it caused goes first
        due = harness.ledger.due(MONDAY + window, ["test"])
        assert [d.moment.kind for d in due] == ["celebration", "total"]
        assert {d.moment.due_at for d in due} == {MONDAY + window}
