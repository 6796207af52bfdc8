"""The coach: what is told, when, and how often (DESIGN section 7, issue 5)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from smallwins_plugins.coaching import (
    SCAN_WORDS,
    TEMPLATES,
    streak_marks,
    total_marks,
    week_gain,
)

from smallwins import Rule, Tell
from smallwins.api.detector import Detector, RestDay
from smallwins.api.goal import Goal
from smallwins.api.moment import Moment
from smallwins.api.progress import Tracker
from smallwins.api.rules import DayEvent, DigestEvent, WinEvent
from smallwins.api.win import Win
from smallwins.api.wording import Templates
from smallwins.coach.coach import build_coach
from smallwins.coach.replay import replay
from smallwins.config import Settings
from smallwins.testing import Harness
from tests.histories import (
    BERLIN,
    FOREVER,
    NEW_YORK,
    Sim,
    SourceInfo,
    builtin,
    coach_for,
    day_goal,
    local,
    quiet,
    source,
)

MONDAY = date(2025, 3, 3)
GUILT = ("failed", "broke", "lost", "missed out", "should")


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


def sim_for(tmp_path: Path, goals: list[Goal], **kw: object) -> Sim:
    sources = kw.pop("sources", None)
    return Sim.at(
        tmp_path,
        local(MONDAY, 6),
        lambda: coach_for(goals, **kw),  # type: ignore[arg-type]
        sources,  # type: ignore[arg-type]
    )


def minutes_goal(**kw: object) -> Goal:
    return day_goal(
        "sit", "med", metric="minutes", target=10, noun="session", plural="sessions", **kw
    )


MED = {"med": SourceInfo("session", "sessions")}


# -- celebrations ---------------------------------------------------------------------------------


def test_a_live_win_is_celebrated_with_the_goals_progress(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [minutes_goal()], sources=MED)
    first = sim.win("med", local(day(0), 7), 12, title="Morning sit")
    (celebration,) = [m for m in first if m.kind == "celebration"]
    assert celebration.title == "Small win in Med"  # the source's label
    assert "12 of 10 min today, target met" in celebration.message
    assert "Morning sit" in celebration.message
    assert sim.outbox_count(celebration) == 1
    second = sim.win("med", local(day(0), 8), 3)
    (again,) = [m for m in second if m.kind == "celebration"]
    assert "15 of 10 min today" in again.message
    assert "target met" not in again.message  # said once, when it was met
    short = sim.win("med", local(day(1), 7), 4)
    assert "4 of 10 min today" in next(m for m in short if m.kind == "celebration").message


def test_a_weekly_goal_shows_the_weeks_progress(tmp_path: Path) -> None:
    goal = day_goal("gym", "gym", per="week", target=3, noun="workout")
    sim = sim_for(tmp_path, [goal])
    sim.win("gym", local(day(0), 7))
    sim.win("gym", local(day(2), 7))
    told = sim.win("gym", local(day(4), 7))
    celebration = next(m for m in told if m.kind == "celebration")
    assert "3 of 3 this week, target met" in celebration.message


def test_a_count_goal_of_one_a_day_keeps_the_plain_celebration(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [day_goal()])
    told = sim.win("code", local(day(0), 9), title="Add vdir support")
    celebration = next(m for m in told if m.kind == "celebration")
    assert celebration.message == "\u201cAdd vdir support\u201d - your 1st win today."


# -- history --------------------------------------------------------------------------------------


def test_a_first_scan_makes_one_summary_and_no_milestones(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [day_goal(celebrate="every")])
    now = local(day(60), 9)
    past = [
        Win(key=f"old{n}", title=f"old {n}", occurred_at=local(day(n), 12))
        for n in range(59)
        if n % 10 != 9
    ]
    told = sim.scan("code", past, now=now, first_scan=True)
    assert [m.kind for m in told] == ["summary"]
    assert "past wins" in told[0].message
    assert sim.moments() == told
    # The next live win is celebrated; marks the history already passed are not told late.
    live = sim.win("code", local(day(60), 10))
    kinds = [m.kind for m in live]
    assert "celebration" in kinds
    assert not {"streak", "comeback", "personal_best", "total"} & set(kinds)  # 54 in all
    assert sim.keys("total:") == []


def test_a_backfill_is_one_summary_too(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [day_goal()])
    for n in range(5):
        sim.win("code", local(day(n), 12))
    wins = [
        Win(key=f"b{n}", title=f"b {n}", occurred_at=local(day(n), 13), history=True)
        for n in range(5)
    ] + [Win(key="live", title="live one", occurred_at=local(day(5), 11))]
    told = sim.scan("code", wins, now=local(day(5), 11))
    assert [m.kind for m in told if m.kind in ("summary", "celebration")] == [
        "summary",
        "celebration",
    ]
    assert "earlier wins" in next(m for m in told if m.kind == "summary").message


def test_a_first_start_with_history_tells_no_setback_rest_or_gain(tmp_path: Path) -> None:
    # The daemon's very first start: the coach loads an empty ledger, the first scans bring
    # the past (one source, then another of the same goal), then the clock ticks. The last
    # day of the history was missed, its last week beat the weeks before: none of it is news.
    now = local(day(60), 9)
    goal = Goal("sit", ("med", "app"), metric="minutes", target=10, noun="session")
    sim = Sim.at(tmp_path, now, lambda: coach_for([goal], digest="off"), MED)
    past = [
        Win(key=f"old{n}", title=f"Sit {n}", occurred_at=local(day(n), 7), value=12 + 3 * (n >= 49))
        for n in range(59)
    ]
    told = sim.scan("med", past, now=now, first_scan=True)
    told += sim.scan(
        "app",
        [Win(key="app", title="Sit", occurred_at=local(day(40), 8), value=5)],
        now=now,
        first_scan=True,
    )
    told += sim.tick(local(day(60), 9, 1))
    assert [m.kind for m in told] == ["summary", "summary"]
    assert [m.kind for m in sim.moments()] == ["summary", "summary"]  # none held back either
    # What happens from now on is news again: a missed day after the start is told.
    sim.advance(local(day(62), 12))
    assert [m.kind for m in sim.moments() if m.category == "setback"]


# -- streaks --------------------------------------------------------------------------------------


def test_streak_milestones_at_3_7_14_30(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [day_goal()])
    told_on: dict[str, date] = {}
    for n in range(32):
        for m in sim.win("code", local(day(n), 12)):
            if m.kind == "streak":
                told_on[m.dedupe_key] = n  # type: ignore[assignment]
    start = MONDAY.isoformat()
    assert told_on == {
        f"streak:code:{start}:3": 2,
        f"streak:code:{start}:7": 6,
        f"streak:code:{start}:14": 13,
        f"streak:code:{start}:30": 29,
    }
    streak = next(m for m in sim.moments("streak") if m.dedupe_key.endswith(":7"))
    assert "7 days" in f"{streak.title} {streak.message}"


def test_a_new_streak_has_its_own_marks_and_a_00_30_win_counts_for_the_evening(
    tmp_path: Path,
) -> None:
    sim = sim_for(tmp_path, [day_goal(grace_days=0)])
    for n in range(3):
        sim.win("code", local(day(n), 12))
    # Day 3 is missed; days 4 and 5 have wins, and day 6's win is at 00:30 on day 7.
    sim.win("code", local(day(4), 12))
    sim.win("code", local(day(5), 23))
    told = sim.win("code", local(day(7), 0, 30))
    assert [m.dedupe_key for m in told if m.kind == "streak"] == [f"streak:code:{day(4)}:3"]
    assert sim.keys("streak:") == [f"streak:code:{day(0)}:3", f"streak:code:{day(4)}:3"]


def test_streak_marks_go_on_yearly_after_365() -> None:
    assert streak_marks(0, 400) == [3, 7, 14, 30, 50, 100, 200, 365]
    assert streak_marks(365, 1100) == [730, 1095]
    assert streak_marks(729, 730) == [730]
    assert streak_marks(730, 1094) == []


def test_a_long_streak_is_told_at_every_mark_once(tmp_path: Path) -> None:
    goal = day_goal()
    sim = Sim.at(None, local(MONDAY, 6), lambda: coach_for([goal], digest="off"))
    for n in range(731):
        sim.win("code", local(day(n), 12))
        if n in (100, 400):
            sim.restart()
    marks = sorted(int(k.rsplit(":", 1)[1]) for k in sim.keys("streak:"))
    assert marks == [3, 7, 14, 30, 50, 100, 200, 365, 730]


# -- totals ---------------------------------------------------------------------------------------


def test_totals_on_a_thinning_schedule(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [day_goal()], digest="off")
    n = 0
    for d in range(26):
        for h in range(10):
            n += 1
            sim.win("code", local(day(d), 8, h * 5))
    assert n == 260
    assert sim.keys("total:") == [f"total:code:{m}" for m in (1, 10, 25, 50, 100, 250)]
    hundred = next(m for m in sim.moments("total") if m.dedupe_key.endswith(":100"))
    assert "100 wins" in f"{hundred.title} {hundred.message}"
    first = next(m for m in sim.moments("total") if m.dedupe_key.endswith(":1"))
    assert "1 win" in f"{first.title} {first.message}"
    assert "1 wins" not in f"{first.title} {first.message}"


def test_total_marks_go_on_every_thousand() -> None:
    assert total_marks(0, 1000) == [1, 10, 25, 50, 100, 250, 500, 1000]
    assert total_marks(1000, 3500) == [2000, 3000]
    assert total_marks(0.5, 1.5) == [1]


def test_a_minutes_goal_counts_hours_and_sessions(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [minutes_goal()], sources=MED, digest="off")
    for n in range(21):
        sim.win("med", local(day(n), 7), 30)
    keys = sim.keys("total:")
    assert keys == ["total:sit:1", "total:sit:10"]
    assert sim.keys("count:") == ["count:sit:1", "count:sit:10"]
    first, *_ = [m for m in sim.moments("total") if m.dedupe_key == "count:sit:1"]
    assert "1 session " in f"{first.title} {first.message}"  # the goal's noun, one of them
    one, ten = [m for m in sim.moments("total") if m.dedupe_key.startswith("total:")]
    assert one.at == local(day(1), 7)  # the second half hour makes the first hour
    assert "1 hour" in f"{one.title} {one.message}"
    assert "hours" not in f"{one.title} {one.message}".replace("1 hour ", "")
    assert "10 hours" in f"{ten.title} {ten.message}"


# -- bests, comebacks, gains, level-ups -----------------------------------------------------------


def test_personal_bests_wait_for_14_days_and_come_at_most_once_a_week(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [minutes_goal()], sources=MED, digest="off")
    for n in range(30):
        sim.win("med", local(day(n), 7), 10 + n)  # every session is the longest yet
    bests = sim.moments("personal_best")
    assert bests, "a best is told once there are 14 days of history"
    days = [sim.coach.schedule.today(m.at) for m in bests]
    assert days[0] >= day(13)  # the 14th day of history at the earliest
    assert all((b - a).days >= 7 for a, b in itertools.pairwise(days))
    assert len(bests) == len({m.dedupe_key for m in bests})
    best = bests[0]
    assert "min" in best.message


def test_only_one_best_a_week_even_from_one_scan(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [minutes_goal()], sources=MED, digest="off")
    for n in range(20):
        sim.win("med", local(day(n), 7), 10)
    # One scan brings a longest session (a single best) and then a biggest day.
    wins = [
        Win(key="x1", title="long", occurred_at=local(day(20), 7), value=30),
        Win(key="x2", title="more", occurred_at=local(day(20), 8), value=5),
    ]
    sim.scan("med", wins, now=local(day(20), 9))
    assert len(sim.moments("personal_best")) == 1


def test_comeback_after_two_days_without_a_win(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [day_goal()], digest="off")
    sim.win("code", local(day(0), 12))
    assert not [m for m in sim.win("code", local(day(2), 12)) if m.kind == "comeback"]  # gap 1
    told = sim.win("code", local(day(5), 12))  # days 3 and 4 without a win
    (comeback,) = [m for m in told if m.kind == "comeback"]
    assert comeback.dedupe_key == f"comeback:code:{day(5)}"
    assert "3 days" in comeback.message  # the first in 3 days
    again = sim.win("code", local(day(5), 13))
    assert not [m for m in again if m.kind == "comeback"]  # the first win only


def test_rest_days_are_no_gap_for_a_comeback(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [day_goal()], digest="off")
    sim.win("code", local(day(0), 12))
    sim.scan("code", [], now=local(day(1), 9), rest_days=[RestDay(day(1)), RestDay(day(2))])
    told = sim.win("code", local(day(3), 12))
    assert not [m for m in told if m.kind == "comeback"]


def test_a_marginal_gain_week(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [minutes_goal()], sources=MED, digest="off")
    # Seven steady weeks, then one well out of their (lack of) noise.
    for week in range(7):
        for d in range(6):
            sim.win("med", local(day(7 * week + d), 7), 10)  # 60 a week
    for d in range(7):
        sim.win("med", local(day(49 + d), 7), 10)  # 70 this week
    sim.advance(local(day(57), 12))
    (gain,) = sim.moments("marginal_gain")
    assert gain.dedupe_key == f"gain:sit:{day(49)}"
    assert gain.at == local(day(56), 4)  # when the week ended
    text = f"{gain.title} {gain.message}"
    assert "17%" in text or ("70 min" in text and "60 min" in text)


def test_less_than_one_percent_is_no_gain(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [minutes_goal()], sources=MED, digest="off")
    for week in range(8):
        for d in range(6):
            sim.win("med", local(day(7 * week + d), 7), 100 if week < 7 else 100.5)
    sim.advance(local(day(57), 12))
    assert not sim.moments("marginal_gain")


def test_level_up_is_told_once_and_never_past_max_target(tmp_path: Path) -> None:
    goal = minutes_goal(ramp=0.05, max_target=11)
    sim = sim_for(tmp_path, [goal], sources=MED, digest="off")
    for n in range(35):
        sim.win("med", local(day(n), 7), 20)
    sim.advance(local(day(36), 12))
    level_ups = sim.moments("level_up")
    assert [m.dedupe_key for m in level_ups] == [f"level:sit:{day(0)}", f"level:sit:{day(7)}"]
    assert "10.5 min" in level_ups[0].title or "10.5 min" in level_ups[0].message
    assert "11 min" in f"{level_ups[1].title} {level_ups[1].message}"
    assert sim.coach.trackers["sit"].target == 11
    # Every wording names the old target as the one met, and the new one as starting now.
    for variant in builtin().templates.variants("level_up"):
        body = variant.body.format_map(level_ups[0].payload)
        assert "10.5 min on" not in body and "tomorrow" not in body, body
    told = sim.win("med", local(day(36), 7), 11)
    celebration = next(m for m in told if m.kind == "celebration")
    assert "11 of 11 min today, target met" in celebration.message


# -- marginal gains on simulated histories ---------------------------------------------------------


def weekly_history(totals: list[float]) -> Sim:
    """A daily practice whose week totals are ``totals``: the same sit every day of a week."""
    sim = Sim.at(None, local(MONDAY, 6), lambda: coach_for([minutes_goal()], digest="off"), MED)
    for week, total in enumerate(totals):
        for d in range(7):
            sim.win("med", local(day(7 * week + d), 7), round(total / 7, 1))
    sim.finish()
    return sim


def gains_of(sim: Sim) -> list[date]:
    """The weeks (by their Monday) told as marginal gains."""
    return [
        date.fromisoformat(m.dedupe_key.rsplit(":", 1)[1]) for m in sim.moments("marginal_gain")
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_steady_habit_is_not_told_a_gain_on_half_its_weeks(seed: int) -> None:
    # Weekly totals around 420 min that vary by about 20%, for a year and a half: about half
    # the weeks beat the usual week by chance, and none of it is a real gain.
    noise = random.Random(seed)
    weeks = 78
    sim = weekly_history([420 * max(0.3, noise.gauss(1, 0.2)) for _ in range(weeks)])
    gains = gains_of(sim)
    assert len(gains) <= weeks // 6, gains
    # At most about once a month a goal.
    assert all((b - a).days >= 28 for a, b in itertools.pairwise(gains)), gains


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_habit_that_grows_two_percent_a_week_is_told_within_eight_weeks(seed: int) -> None:
    # Ten weeks around 420 min (5% noise), then 2% more each week.
    noise = random.Random(seed)
    flat = 10
    totals = [420 * 1.02 ** max(0, w - flat + 1) * noise.gauss(1, 0.05) for w in range(flat + 8)]
    sim = weekly_history(totals)
    growth = day(7 * flat)  # the Monday of the first week that grew
    told = [week for week in gains_of(sim) if week >= growth]
    assert told and told[0] < growth + timedelta(weeks=8), gains_of(sim)


# -- setbacks -------------------------------------------------------------------------------------


def setbacks_of(sim: Sim) -> list[Moment]:
    return [m for m in sim.moments() if m.category == "setback"]


def told_setbacks(sim: Sim) -> list[Moment]:
    return [m for m in setbacks_of(sim) if m.group != "deferred"]


def test_a_setback_names_the_last_win_and_a_small_step(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [minutes_goal(grace_days=0)], sources=MED, digest="off")
    for n in range(5):
        sim.win("med", local(day(n), 7), 15, title=f"Sit {n}")
    sim.advance(local(day(6), 12))
    (setback,) = told_setbacks(sim)
    assert setback.kind == "setback"
    assert setback.at == local(day(6), 4)  # at the end of the missed day
    assert sim.outbox_count(setback) == 1
    assert setback.payload["last_win"] == "\u201cSit 4\u201d"
    assert setback.payload["step"] == "2 minutes"
    for variant in TEMPLATES["setback"] + TEMPLATES["never_miss_twice"]:
        words = " ".join(variant).lower()
        assert not [w for w in GUILT if w in words], variant


def test_at_most_one_setback_per_goal_in_seven_days(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [day_goal(grace_days=0)], digest="off")
    misses = {5, 9, 14}
    for n in range(16):
        if n not in misses:
            sim.win("code", local(day(n), 12))
    sim.advance(local(day(16), 12))
    told = told_setbacks(sim)
    assert [sim.coach.schedule.today(m.due_at) for m in told] == [day(6), day(15)]
    deferred = [m for m in setbacks_of(sim) if m.group == "deferred"]
    assert [m.dedupe_key for m in deferred] == [f"setback:code:{day(9)}"]
    assert sim.outbox_count(deferred[0]) == 0  # held back, not sent


def test_never_two_setback_days_running_across_goals(tmp_path: Path) -> None:
    goals = [day_goal("a", "a", grace_days=0), day_goal("b", "b", grace_days=0)]
    sim = sim_for(tmp_path, goals, digest="off")
    for n in range(8):
        if n != 4:
            sim.win("a", local(day(n), 12))
        if n != 5:
            sim.win("b", local(day(n), 13))
    sim.advance(local(day(8), 12))
    told = told_setbacks(sim)
    assert [m.goal for m in told] == ["a"]
    assert [m.goal for m in setbacks_of(sim) if m.group == "deferred"] == ["b"]


def test_two_goals_missing_the_same_day_make_one_setback(tmp_path: Path) -> None:
    goals = [day_goal("a", "a", grace_days=0), day_goal("b", "b", grace_days=0)]
    sim = sim_for(tmp_path, goals, digest="off")
    for n in range(5):
        sim.win("a", local(day(n), 12))
        sim.win("b", local(day(n), 13))
    sim.advance(local(day(7), 12))
    told = told_setbacks(sim)
    days = [sim.coach.schedule.today(m.due_at) for m in told]
    assert len(days) == len(set(days)), [(m.dedupe_key, m.due_at) for m in told]


def test_setbacks_wait_for_the_end_of_quiet_hours(tmp_path: Path) -> None:
    hours = quiet("22:00-08:30")
    sim = sim_for(tmp_path, [day_goal(grace_days=0)], digest="off", quiet_hours=hours)
    for n in range(5):
        sim.win("code", local(day(n), 12))
    sim.advance(local(day(6), 12))
    (setback,) = told_setbacks(sim)
    assert setback.at == local(day(6), 4)
    assert setback.due_at == local(day(6), 8, 30)
    assert not hours.contains(sim.coach.schedule.told_at(setback.due_at).astimezone(BERLIN))


def test_setbacks_need_three_celebrations_since_the_last_one(tmp_path: Path) -> None:
    goals = [day_goal("a", "a", grace_days=0), day_goal("b", "b", grace_days=0)]
    sim = sim_for(tmp_path, goals)
    for n in range(4):
        sim.win("a", local(day(n), 12))
        sim.win("b", local(day(n), 13))
    sim.win("b", local(day(4), 13))  # a misses day 4: its setback is told on day 5
    sim.win("b", local(day(5), 13))  # b misses day 6 after only two celebrations
    sim.advance(local(day(8), 12))
    assert [m.goal for m in told_setbacks(sim)] == ["a"]
    (held,) = [m for m in setbacks_of(sim) if m.group == "deferred"]
    assert held.goal == "b"
    assert held.dedupe_key == f"setback:b:{day(6)}"
    # It folds into the next digest's note.
    digest = next(m for m in sim.moments("digest") if m.at > held.at)
    assert held.message in digest.message


def test_never_miss_twice_comes_on_the_second_day_of_a_gap(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [day_goal(grace_days=1)], digest="off")
    for n in range(5):
        sim.win("code", local(day(n), 12))
    sim.advance(local(day(5), 23))  # all through the first day of the gap: nothing
    assert not setbacks_of(sim)
    sim.advance(local(day(7), 12))
    kinds = [(m.kind, sim.coach.schedule.today(m.at)) for m in setbacks_of(sim)]
    assert kinds[0] == ("never_miss_twice", day(6))
    (note,) = [m for m in told_setbacks(sim) if m.kind == "never_miss_twice"]
    assert note.dedupe_key == f"nmt:code:{day(5)}"


def test_setbacks_false_silences_them(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [day_goal(grace_days=1, setbacks=False)])
    for n in range(5):
        sim.win("code", local(day(n), 12))
    sim.advance(local(day(20), 12))
    assert not setbacks_of(sim)
    assert all(not m.payload.get("note") for m in sim.moments("digest"))


def test_the_last_win_is_named_by_its_local_day(tmp_path: Path) -> None:
    # A Saturday-evening win in New York is a Sunday in UTC: it is still Saturday's.
    goal = day_goal(grace_days=0)
    sim = Sim.at(
        tmp_path, local(MONDAY, 6, zone=NEW_YORK), lambda: coach_for([goal], zone=NEW_YORK)
    )
    for n in range(6):
        sim.win("code", local(day(n), 21, zone=NEW_YORK).astimezone(UTC))
    sim.advance(local(day(8), 12, zone=NEW_YORK))
    (setback,) = told_setbacks(sim)
    assert day(5).strftime("%A") == "Saturday"
    assert setback.payload["when"] == "Saturday"


# -- digests --------------------------------------------------------------------------------------


def run_digest_week(tmp_path: Path, mode: str) -> Sim:
    sim = sim_for(tmp_path, [day_goal()], digest=mode)
    for n in range(14):
        if n != 9:
            sim.win("code", local(day(n), 12))
    sim.advance(local(day(14), 12))
    return sim


def test_daily_digest_at_digest_at_on_days_with_wins(tmp_path: Path) -> None:
    sim = run_digest_week(tmp_path, "daily")
    digests = [m for m in sim.moments() if m.category == "digest"]
    assert {m.kind for m in digests} == {"digest"}
    assert [sim.coach.schedule.today(m.at) for m in digests] == [
        day(n) for n in range(14) if n != 9
    ]
    assert all(m.at.astimezone(BERLIN).time() == time(20, 30) for m in digests)
    assert all(sim.outbox_count(m) == 1 for m in digests)


@pytest.mark.parametrize(
    ("mode", "kinds"),
    [
        ("weekly", {"weekly_digest": 2}),
        ("both", {"digest": 11, "weekly_digest": 2}),
        ("off", {}),
    ],
)
def test_digest_modes(tmp_path: Path, mode: str, kinds: dict[str, int]) -> None:
    sim = run_digest_week(tmp_path, mode)
    digests = [m for m in sim.moments() if m.category == "digest"]
    counts: dict[str, int] = {}
    for m in digests:
        counts[m.kind] = counts.get(m.kind, 0) + 1
    assert counts == kinds
    for m in digests:
        if m.kind == "weekly_digest":
            assert sim.coach.schedule.today(m.at).weekday() == 6


def test_a_weekly_digest_tells_the_week(tmp_path: Path) -> None:
    sim = run_digest_week(tmp_path, "weekly")
    first = sim.moments("weekly_digest")[0]
    assert first.payload["count"] == 7  # the week's wins, not Sunday's alone


def test_digests_read_well() -> None:
    templates = builtin().templates
    values = {
        "count": 3,
        "wins_count": "3 wins",
        "wins": "3 commits in Code",
        "streak": "Code: a streak of 8 days.",
        "strength": "Code: 91% strong ▁▂▃▄▅▆▇.",
        "note": "",
        "day": "Sunday",
        "news": "",
        "headline": "+6% on your usual week",
        "fact": "Code: 53 commits against your usual 50 commits. 1% a week is 1.7x a year.",
    }
    for kind in ("digest", "weekly_digest"):
        for variant in templates.variants(kind):
            body = variant.body.format_map(values)
            assert ".." not in body, (kind, variant)
            title = variant.title.format_map(values)
            assert "today" not in title or kind == "digest", (kind, variant)


# -- privacy --------------------------------------------------------------------------------------


def test_a_private_source_never_leaks_titles(tmp_path: Path) -> None:
    goals = [
        day_goal("diary", "diary", private=True, grace_days=0),
        day_goal("code", "code", grace_days=0),
    ]
    sources = {"diary": SourceInfo("entry", "entries", private=True)}
    captured: list[object] = []

    class Spy(Rule):
        name = "spy"

        def on_win(self, event: WinEvent) -> Iterator[Tell]:
            captured.extend([event.title, event.before.last_win_title])
            return iter(())

        def on_digest(self, event: DigestEvent) -> Iterator[Tell]:
            captured.extend(title for _, _, title, _ in event.wins)
            captured.extend(p.last_win_title for p in event.goals)
            return iter(())

    rules = [*builtin().rules, ("spy", Spy())]
    sim = Sim.at(tmp_path, local(MONDAY, 6), lambda: coach_for(goals, rules=rules), sources)
    for n in range(40):
        if n % 6 not in (4, 5):
            sim.win("diary", local(day(n), 21), n + 1, title=f"SECRET {n}")
            sim.win("code", local(day(n), 10), title=f"public {n}")
    sim.advance(local(day(41), 12))
    kinds = {m.kind for m in sim.moments()}
    assert {"setback", "digest", "streak", "comeback", "total"} <= kinds | {"setback"}
    for m in sim.moments():
        assert "SECRET" not in m.title + m.message, m
    assert not [t for t in captured if t and "SECRET" in str(t)]


def test_a_private_source_outside_any_goal_stays_private_in_digests(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"timezone": "Europe/Berlin", "goals": {"code": {"sources": ["code"]}}}
    )
    seen: list[str] = []

    class Spy(Rule):
        name = "spy"

        def on_digest(self, event: DigestEvent) -> Iterator[Tell]:
            seen.extend(title for _, _, title, _ in event.wins)
            return iter(())

    diary = source("diary", SourceInfo(private=True))
    code = source("code")
    templates = builtin().templates
    sim = Sim.at(
        tmp_path,
        local(MONDAY, 6),
        lambda: build_coach(settings, [diary, code], [("spy", Spy())], templates),
        {"diary": SourceInfo(private=True)},
    )
    sim.win("diary", local(day(0), 9), title="SECRET entry")
    sim.win("code", local(day(0), 10), title="public")
    sim.advance(local(day(1), 12))
    assert "public" in seen
    assert not [t for t in seen if "SECRET" in t]


# -- rules and wording ----------------------------------------------------------------------------


def test_a_raising_rule_does_not_stop_the_others(tmp_path: Path) -> None:
    class Broken(Rule):
        name = "broken"

        def on_win(self, event: WinEvent) -> Iterator[Tell]:
            raise RuntimeError("boom")

        def on_day_end(self, event: DayEvent) -> Iterator[Tell]:
            yield Tell("x", "")  # no key: skipped
            raise RuntimeError("boom")

        def on_digest(self, event: DigestEvent) -> list[object]:  # type: ignore[override]
            return ["not a tell"]

    rules = [("broken", Broken()), *builtin().rules]
    goal = day_goal(grace_days=0)
    sim = Sim.at(tmp_path, local(MONDAY, 6), lambda: coach_for([goal], rules=rules))
    for n in range(4):
        sim.win("code", local(day(n), 12))
    sim.advance(local(day(5), 12))
    kinds = {m.kind for m in sim.moments()}
    assert {"celebration", "total", "streak", "digest", "setback"} <= kinds


def test_a_config_template_overrides_the_built_in_wording(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "timezone": "Europe/Berlin",
            "goals": {"code": {"sources": ["code"]}},
            "templates": {"streak": [{"title": "Run of {n}", "body": "{goal} is on a roll."}]},
        }
    )
    templates = builtin().templates
    sim = Sim.at(
        tmp_path,
        local(MONDAY, 6),
        lambda: build_coach(settings, [], builtin().rules, templates),
    )
    for n in range(3):
        sim.win("code", local(day(n), 12))
    (streak,) = sim.moments("streak")
    assert (streak.title, streak.message) == ("Run of 3", "code is on a roll.")
    assert templates.variants("streak")[0].title != "Run of {n}"  # the plugin's are untouched


def test_a_config_template_with_a_typo_falls_back_to_the_built_in_wording(
    tmp_path: Path,
) -> None:
    settings = Settings.model_validate(
        {
            "timezone": "Europe/Berlin",
            "goals": {"code": {"sources": ["code"]}},
            "templates": {"streak": [{"title": "Run of {days}", "body": "{goal} rolls."}]},
        }
    )
    templates = builtin().templates
    sim = Sim.at(
        tmp_path, local(MONDAY, 6), lambda: build_coach(settings, [], builtin().rules, templates)
    )
    for n in range(3):
        sim.win("code", local(day(n), 12))
    assert sim.keys("streak:") == [f"streak:code:{day(0)}:3"]


def test_every_kind_has_five_variants() -> None:
    templates = builtin().templates
    # A scan's own celebrations keep one steady voice: their variety is the win's own title.
    for kind in set(templates.kinds()) - set(SCAN_WORDS):
        assert len(templates.variants(kind)) >= 5, kind


def test_no_two_messages_of_a_kind_in_a_row_are_identical(tmp_path: Path) -> None:
    goal = day_goal("med", "med", grace_days=0)
    sim = Sim.at(tmp_path, local(MONDAY, 6), lambda: coach_for([goal], digest="off"))
    for n in range(3):
        sim.win("med", local(day(n), 12), title="Meditation")
    assert_no_repeats(sim.moments())


def test_no_identical_messages_from_one_batch(tmp_path: Path) -> None:
    # Two goals over one source: one win makes two comebacks in the same transaction.
    templates = Templates()
    templates.register(
        "comeback", [("Welcome back", "First {noun} in {gap} days."), ("Back", "{gap} days.")]
    )
    goals = [day_goal("a", "code"), day_goal("b", "code")]
    assert hash_pick("comeback:a:" + day(5).isoformat()) == hash_pick(
        "comeback:b:" + day(5).isoformat()
    )
    sim = Sim.at(
        tmp_path,
        local(MONDAY, 6),
        lambda: coach_for(goals, templates=templates, digest="off"),
    )
    sim.win("code", local(day(0), 12))
    sim.win("code", local(day(5), 12))
    assert len(sim.moments("comeback")) == 2
    assert_no_repeats(sim.moments())


def hash_pick(key: str) -> int:
    import zlib

    return zlib.crc32(key.encode()) % 2


def assert_no_repeats(moments: list[Moment]) -> None:
    last: dict[str, tuple[str, str]] = {}
    for m in moments:
        text = (m.title, m.message)
        assert last.get(m.kind) != text, (m.kind, text)
        last[m.kind] = text


# -- late wins, restarts, replay ------------------------------------------------------------------


def test_a_win_seen_after_its_day_closed_still_makes_its_milestones(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [day_goal()], digest="off")
    for n in range(9):
        sim.win("code", local(day(n), 12))
    # The 10th win happened last night; the scan sees it this morning.
    sim.win("code", local(day(9), 22), now=local(day(10), 9))
    assert sim.keys("total:") == ["total:code:1", "total:code:10"]


def test_a_restart_after_a_missed_week_end_still_tells_the_level_up(tmp_path: Path) -> None:
    goal = minutes_goal(ramp=0.05)
    sim = sim_for(tmp_path, [goal], sources=MED, digest="off")
    for n in range(7):
        sim.win("med", local(day(n), 7), 15)
    # The machine is off from Sunday night until Monday 09:00.
    sim.restart(local(day(7), 9))
    sim.advance(local(day(8), 12))
    assert sim.coach.trackers["sit"].target == 10.5
    assert [m.dedupe_key for m in sim.moments("level_up")] == [f"level:sit:{day(0)}"]


def test_a_restart_tells_nothing_twice(tmp_path: Path) -> None:
    goal = minutes_goal(ramp=0.05, grace_days=0)
    sim = sim_for(tmp_path, [goal], sources=MED)
    for n in range(40):
        if n % 9 != 8:
            sim.win("med", local(day(n), 7), 12 + n % 5)
        if n % 5 == 0:
            sim.restart(local(day(n), 13))
    keys = [m.dedupe_key for m in sim.moments()]
    assert len(keys) == len(set(keys))
    # Recording the same wins again (a rescan) tells nothing.
    sim.advance(local(day(40), 12))
    before = len(sim.moments())
    wins = [
        Win(key=w.key, title=w.title, occurred_at=w.occurred_at, value=w.value)
        for w in sim.ledger.wins()
    ]
    sim.scan("med", wins, now=local(day(40), 12))
    assert len(sim.moments()) == before


def test_replay_of_a_history(tmp_path: Path) -> None:
    goal = minutes_goal()
    history = sim_for(tmp_path, [goal])
    for n in range(40):
        if n % 7 != 3:
            history.win("med", local(day(n), 7), 10 + n)
    history.finish()
    coach = coach_for([goal])
    first = replay(history.ledger, coach, [])
    second = replay(history.ledger, coach_for([goal]), [])
    assert [(t.at, t.moment.to_json()) for t in first] == [
        (t.at, t.moment.to_json()) for t in second
    ]
    # The replay tells what the live run told, at the same times.
    live = {(m.dedupe_key, m.title, m.message) for m in history.moments() if m.group != "deferred"}
    replayed = {(t.moment.dedupe_key, t.moment.title, t.moment.message) for t in first}
    assert replayed == live
    window = replay(history.ledger, coach_for([goal]), [], start=day(10), end=day(20))
    assert {coach.schedule.today(t.at) for t in window} <= {day(n) for n in range(10, 21)}


def test_a_scan_with_rest_days_counts_its_wins_once(tmp_path: Path) -> None:
    # A calendar source reports its rest days on every scan, beside its wins.
    sim = sim_for(tmp_path, [day_goal()], digest="off")
    rest = [RestDay(day(20))]
    for n in range(3):
        win = Win(key=f"k{n}", title=f"event {n}", occurred_at=local(day(n), 12))
        sim.scan("code", [win], now=local(day(n), 12), rest_days=rest)
    tracker = sim.coach.trackers["code"]
    assert tracker.total_count == 3
    assert sim.keys("total:") == ["total:code:1"]
    assert sim.keys("streak:") == [f"streak:code:{day(0)}:3"]


def test_a_short_session_on_a_rest_day_is_no_setback(tmp_path: Path) -> None:
    sim = sim_for(tmp_path, [minutes_goal(grace_days=0)], sources=MED, digest="off")
    sim.scan("med", [], now=local(day(0), 6), rest_days=[RestDay(day(3))])
    for n in range(6):
        sim.win("med", local(day(n), 7), 4 if n == 3 else 15)
    sim.advance(local(day(6), 5))
    assert not setbacks_of(sim)
    assert sim.coach.trackers["sit"].streak == 5


# -- the clock across changes of clocks --------------------------------------------------------


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK])
@pytest.mark.parametrize("starts", [time(0), time(1, 30), time(2, 30), time(3), time(4)])
def test_the_next_tick_is_always_ahead(zone: object, starts: time) -> None:
    coach = coach_for([day_goal()], zone=zone, day_starts_at=starts)  # type: ignore[arg-type]
    for first in (date(2024, 3, 9), date(2024, 3, 30), date(2024, 10, 26), date(2024, 11, 2)):
        t = datetime.combine(first, time(0), tzinfo=UTC)
        while t < datetime.combine(first + timedelta(days=3), time(0), tzinfo=UTC):
            assert coach.schedule.next_clock(t) > t, (t, t.astimezone(zone))  # type: ignore[arg-type]
            t += timedelta(minutes=5)


@pytest.mark.parametrize(
    ("zone", "starts", "changes"),
    [(BERLIN, time(4), date(2024, 3, 31)), (NEW_YORK, time(0), date(2024, 11, 3))],
)
def test_days_end_at_day_starts_at_across_clock_changes(
    zone: object, starts: time, changes: date
) -> None:
    coach = coach_for([day_goal()], zone=zone, day_starts_at=starts)  # type: ignore[arg-type]
    for d in (changes - timedelta(1), changes, changes + timedelta(1)):
        end = coach.schedule.day_end(d).astimezone(UTC)
        assert coach.schedule.today(end) == d + timedelta(1)
        assert coach.schedule.today(end - timedelta(seconds=1)) == d
        assert end.astimezone(zone).time() == starts  # type: ignore[arg-type]


def test_a_day_starting_inside_the_spring_gap_ends_when_the_clocks_jump() -> None:
    coach = coach_for([day_goal()], zone=NEW_YORK, day_starts_at=time(2, 30))
    end = coach.schedule.day_end(date(2024, 3, 9)).astimezone(UTC)  # no 02:30 on 10 March
    assert coach.schedule.today(end - timedelta(seconds=1)) == date(2024, 3, 9)


def test_local_days_never_go_back_in_the_repeated_hour() -> None:
    coach = coach_for([day_goal()], zone=NEW_YORK, day_starts_at=time(1, 30))
    first = datetime(2024, 11, 3, 5, 40, tzinfo=UTC)  # 01:40 EDT: the new day has begun
    second = datetime(2024, 11, 3, 6, 10, tzinfo=UTC)  # 01:10 EST, half an hour later
    assert coach.schedule.today(second) >= coach.schedule.today(first)


CLOCK_CHANGES = [
    (NEW_YORK, [date(2024, 3, 10), date(2024, 11, 3)]),
    (BERLIN, [date(2024, 3, 31), date(2024, 10, 27)]),
    (ZoneInfo("Europe/Dublin"), [date(2024, 3, 31), date(2024, 10, 27)]),  # "winter time"
    (ZoneInfo("Australia/Lord_Howe"), [date(2024, 4, 7), date(2024, 10, 6)]),  # 30 minutes
]


@pytest.mark.parametrize(("zone", "changes"), CLOCK_CHANGES, ids=[z.key for z, _ in CLOCK_CHANGES])
@pytest.mark.parametrize("starts", [time(0), time(1, 30), time(2), time(2, 15), time(2, 30)])
def test_a_day_begins_once_the_first_time_its_start_is_reached_and_ends_there(
    zone: ZoneInfo, changes: list[date], starts: time
) -> None:
    schedule = coach_for([day_goal()], zone=zone, day_starts_at=starts).schedule
    for change in changes:
        t = datetime.combine(change - timedelta(days=1), time(0), tzinfo=UTC)
        days = [schedule.today(t)]
        while t < datetime.combine(change + timedelta(days=2), time(0), tzinfo=UTC):
            t += timedelta(minutes=1)
            days.append(schedule.today(t))
            assert days[-1] >= days[-2], (t, t.astimezone(zone))
        for day in sorted(set(days))[:-1]:
            end = schedule.day_end(day).astimezone(UTC)
            assert schedule.today(end - timedelta(seconds=1)) == day, (day, end)
            assert schedule.today(end) == day + timedelta(days=1), (day, end)


def test_a_win_found_after_a_restart_is_no_setback(tmp_path: Path) -> None:
    # Off overnight; the first scan after the start finds last night's session.
    sim = sim_for(tmp_path, [minutes_goal(grace_days=0)], sources=MED)
    for n in range(5):
        sim.win("med", local(day(n), 7), 15)
    sim.restart(local(day(6), 9))
    sim.win("med", local(day(5), 22), 15, now=local(day(6), 9))
    sim.advance(local(day(7), 3))
    assert not setbacks_of(sim)
    assert sim.keys("streak:") == [f"streak:sit:{day(0)}:3"]
    assert sim.coach.trackers["sit"].streak == 6


# -- voice -------------------------------------------------------------------------------------

VALUES = {
    "goal": "meditation",
    "noun": "session",
    "a_noun": "a session",
    "plural": "sessions",
    "strength": 93,
    "streak": 12,
    "target": "10.5 min",
    "step": "2 minutes",
    "Step": "2 minutes",
    "last_win": "\u201cMorning sit by the lake\u201d",
    "when": "Wednesday",
    "day": "Wednesday",
    "n": "1,000",
    "unit": "days",
    "unit1": "day",
    "what": "sessions",
    "days": 365,
    "history": "365 days",
    "label": "Longest session yet",
    "value": "45 min",
    "previous": "40 min",
    "gap": 4,
    "gap_days": "4 days",
    "percent": 6,
    "baseline": "79 min",
    "year": "1.7x",
    "before": "10 min",
    "after": "10.5 min",
    "place": "smallwins",
    "source": "code",
    "title": "Add vdir support for calendars kept by khal and vdirsyncer",
    "nth": "3rd",
    "progress": "; 12 of 10 min today, target met, 1,240th in all",
    "titles": "\u201cAdd vdir\u201d; \u201cFix the parser\u201d; \u201cDocs\u201d and 7 more",
    "since": " since 2019",
    "run": "; best run 41 days",
    "usual": "31 min",
    "times": "5.1",
    "ago": "11 months",
    "news": "meditation: the target met for the first time.",
    "headline": "Wednesday led the week",
    "fact": "meditation: 158 min on Wednesday, the week's best day.",
    "per": "a day",
    "met": 6,
    "active": 7,
    "active_days": "7 days",
    "count": 12,
    "wins_count": "12 wins",
    "wins": "8 commits in smallwins, 3 sessions in meditation, 1 entry in diary",
    "streak_text": "",
    "strength_text": "",
    "note": "",
}


def test_every_wording_fits_a_banner_and_speaks_kindly() -> None:
    templates = builtin().templates
    steps = [("2 minutes", "2 minutes"), ("one small commit", "One small commit")]
    for (step, capital), kind in itertools.product(steps, templates.kinds()):
        for variant in templates.variants(kind):
            values = dict(VALUES) | {"step": step, "Step": capital}
            if kind in ("digest", "weekly_digest"):
                values |= {
                    "streak": "meditation: a streak of 12 days.",
                    "strength": "meditation: 93%.",
                }
            title, body = variant.title.format_map(values), variant.body.format_map(values)
            assert len(title) < 40, (kind, title)
            assert len(body) < 200, (kind, body)
            assert (title + body).count("!") <= 1, (kind, title, body)
            words = f"{title} {body}".lower()
            assert not [w for w in GUILT if w in words], (kind, title, body)
            assert ". one" not in body and not body.startswith("one"), (kind, body)


def test_every_setback_names_the_last_win_and_the_next_step() -> None:
    for variant in builtin().templates.variants("setback"):
        assert "{last_win}" in variant.body, variant
        assert "{step}" in variant.body or "{Step}" in variant.body, variant


def test_the_weekly_digest_shows_a_week_better_than_usual() -> None:
    goal = Goal("sitting", ("sits",), metric="minutes", target=10)
    tracker = Tracker(goal)
    monday = date(2026, 3, 2)
    for n in range(35):
        minutes = 10 if n < 28 else 14  # four usual weeks of 70 min, then a stronger one
        at = datetime.combine(monday + timedelta(days=n), time(8), UTC)
        tracker.add(monday + timedelta(days=n), at, minutes, "sit")
    tracker.close_through(monday + timedelta(days=33))
    progress = tracker.snapshot(monday + timedelta(days=34))
    assert week_gain((progress,)) == ("sitting: +40% on your usual week; 1% a week is 1.7x a year.")
    assert week_gain(()) == ""


# -- civil hours ----------------------------------------------------------------------------------


class Commits(Detector):
    """Wins made at this machine, like git's."""

    name = "commits"
    noun = "commit"
    interactive = True


class Exports(Detector):
    """Wins that arrive from elsewhere: a synced export."""

    name = "exports"
    noun = "session"


NIGHT = datetime(2025, 3, 7, 23, 30, tzinfo=UTC)


def night_harness(config: dict[str, object] | None = None) -> Harness:
    """Nine days of sits, each recorded at noon and sent; the clock then at 23:30."""
    harness = Harness(config={"digest": "off", **(config or {})}, now=NIGHT - timedelta(days=9))
    harness.add_source("code", Commits, {})
    harness.add_source("sits", Exports, {})
    for n in range(9, 0, -1):
        noon = NIGHT - timedelta(days=n, hours=11, minutes=30)
        harness.record("sits", [Win(key=f"s{n}", title="Sit", occurred_at=noon)], now=noon)
        sent(harness)
    harness.now = NIGHT
    return harness


def sent(harness: Harness) -> None:
    """Everything due marked sent, as a daemon with a working target would."""
    pending = [row.outbox_id for row in harness.ledger.due(FOREVER, ["test"])]
    if pending:
        harness.ledger.mark_sent(pending, "test")


def test_coaching_is_told_with_the_morning() -> None:
    # A missed day ends at 04:00; its note waits for the end of quiet hours (by default
    # 22:00-07:30), or for 07:30 when quiet hours are off.
    for config, morning in (
        ({}, time(7, 30)),
        ({"notify": {"quiet_hours": "23:00-06:15"}}, time(6, 15)),
        ({"notify": {"quiet_hours": ""}}, time(7, 30)),
    ):
        with night_harness(config) as harness:
            harness.record(
                "code", [Win(key="c", title="Fix", occurred_at=NIGHT - timedelta(days=3))]
            )
            sent(harness)
            harness.advance(NIGHT + timedelta(days=3))
            notes = [m for m in harness.moments() if m.category == "setback"]
            assert notes, config
            for note in notes:
                assert note.at.time() == time(4), note
                assert note.due_at.time() == morning, (config, note)


def test_a_win_made_here_is_celebrated_at_once_even_at_night() -> None:
    with night_harness() as harness:
        harness.record("code", [Win(key="c", title="Fix", occurred_at=NIGHT)], now=NIGHT)
        harness.record("sits", [Win(key="s", title="Sit", occurred_at=NIGHT)], now=NIGHT)
        by_source = {m.source: m for m in harness.moments("celebration")}
        assert by_source["code"].due_at < NIGHT + timedelta(seconds=1)
        # What it causes comes with it: the first commit's total.
        (total,) = [m for m in harness.moments("total") if m.source == "code"]
        assert total.due_at == by_source["code"].due_at
        # A synced export waits for the morning, with what it causes.
        assert by_source["sits"].due_at == datetime(2025, 3, 8, 7, 30, tzinfo=UTC)
        (tenth,) = [m for m in harness.moments("total") if m.source == "sits" and m.at == NIGHT]
        assert tenth.due_at == datetime(2025, 3, 8, 7, 30, tzinfo=UTC)


def test_quiet_hours_hold_all_holds_every_win() -> None:
    with night_harness({"notify": {"quiet_hours_hold": "all"}}) as harness:
        harness.record("code", [Win(key="c", title="Fix", occurred_at=NIGHT)], now=NIGHT)
        (celebration,) = [m for m in harness.moments("celebration") if m.source == "code"]
        assert celebration.due_at == datetime(2025, 3, 8, 7, 30, tzinfo=UTC)


def test_quiet_hours_default_to_the_night() -> None:
    assert Settings().notify.quiet_hours == quiet("22:00-07:30")
    assert Settings().notify.quiet_hours_hold == "coaching"
    assert Settings.model_validate({"notify": {"quiet_hours": ""}}).notify.quiet_hours is None
