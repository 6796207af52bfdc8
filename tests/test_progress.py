"""The Tracker: one goal's incremental progress, day by day and week by week."""

from __future__ import annotations

import math
from collections.abc import Mapping, Set
from datetime import UTC, date, datetime, time, timedelta

import pytest

from smallwins.api.goal import Goal, GoalSettings
from smallwins.api.progress import Tracker, week_start
from smallwins.api.win import local_day
from tests.histories import BERLIN, NEW_YORK

MONDAY = date(2025, 3, 3)  # a Monday
M_DAILY = 0.5 ** (1 / 13)  # Loop's multiplier for a once-a-day habit


def goal(**kw: object) -> Goal:
    return Goal(name="g", sources=("s",), **kw)  # type: ignore[arg-type]


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def tracker(g: Goal, values: Mapping[int, float], rest: Set[int] = frozenset()) -> Tracker:
    """A tracker with ``values`` on days MONDAY + n, and rest days MONDAY + n."""
    t = Tracker(g)
    t.rest = {MONDAY + timedelta(days=n) for n in rest}
    for n, value in sorted(values.items()):
        t.add(MONDAY + timedelta(days=n), at(MONDAY + timedelta(days=n)), value, f"win {n}")
    return t


def close(t: Tracker, through: int) -> None:
    t.close_through(MONDAY + timedelta(days=through))


# -- local days -------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK])
def test_a_win_after_midnight_counts_for_the_evening_before(zone: object) -> None:
    evening = datetime(2025, 3, 4, 23, 50, tzinfo=zone)  # type: ignore[arg-type]
    late = datetime(2025, 3, 5, 0, 30, tzinfo=zone)  # type: ignore[arg-type]
    morning = datetime(2025, 3, 5, 4, 0, tzinfo=zone)  # type: ignore[arg-type]
    assert local_day(evening, zone, time(4)) == date(2025, 3, 4)
    assert local_day(late, zone, time(4)) == date(2025, 3, 4)
    assert local_day(morning, zone, time(4)) == date(2025, 3, 5)
    assert local_day(late, zone, time(0)) == date(2025, 3, 5)


@pytest.mark.parametrize(
    ("zone", "spring", "autumn"),
    [
        (BERLIN, date(2025, 3, 30), date(2025, 10, 26)),
        (NEW_YORK, date(2025, 3, 9), date(2025, 11, 2)),
    ],
)
def test_local_days_across_dst(zone: object, spring: date, autumn: date) -> None:
    for day in (spring, autumn):
        # 03:59 and 04:00 local on the day of the change, in UTC, still split at 04:00 local.
        before = datetime.combine(day, time(3, 59), tzinfo=zone).astimezone(UTC)  # type: ignore[arg-type]
        after = datetime.combine(day, time(4, 0), tzinfo=zone).astimezone(UTC)  # type: ignore[arg-type]
        assert local_day(before, zone, time(4)) == day - timedelta(days=1)
        assert local_day(after, zone, time(4)) == day
        late = datetime.combine(day, time(23, 30), tzinfo=zone).astimezone(UTC)  # type: ignore[arg-type]
        assert local_day(late, zone, time(0)) == day


def test_a_time_in_the_spring_gap_is_dated_by_its_instant() -> None:
    # There is no 02:30 on 10 March 2024 in New York: the datetime stands for 03:30 EDT.
    at = datetime(2024, 3, 10, 2, 30, tzinfo=NEW_YORK)
    assert local_day(at, NEW_YORK, time(3)) == local_day(at.astimezone(UTC), NEW_YORK, time(3))


# -- streaks ----------------------------------------------------------------------------------


def test_streak_counts_met_days_and_the_open_day_once_met() -> None:
    t = tracker(goal(), {0: 1, 1: 1, 2: 1})
    close(t, 1)
    assert t.streak == 2
    assert t.streak_start == MONDAY
    today = t.snapshot(MONDAY + timedelta(days=2))
    assert today.streak == 3  # the open day adds once it is met
    assert today.best_streak == 3
    close(t, 2)
    assert t.snapshot(MONDAY + timedelta(days=3)).streak == 3  # an open, unmet day never breaks


def test_streak_needs_the_target_met() -> None:
    t = tracker(goal(metric="minutes", target=10, grace_days=0), {0: 12, 1: 9, 2: 10})
    close(t, 2)
    assert t.streak == 1
    assert t.streak_start == MONDAY + timedelta(days=2)
    assert t.best_streak == 1


def test_grace_day_keeps_a_streak_and_a_second_miss_in_the_week_breaks_it() -> None:
    # Mon Tue met, Wed missed (grace), Thu met, Fri missed (no grace left): broken.
    t = tracker(goal(grace_days=1), {0: 1, 1: 1, 3: 1, 5: 1})
    closes, _ = t.close_through(MONDAY + timedelta(days=5))
    by_day = {c.day.weekday(): c for c in closes}
    assert by_day[2].grace_used and not by_day[2].broke
    assert by_day[3].met
    assert by_day[4].broke and not by_day[4].grace_used
    assert by_day[4].streak_before == 3
    assert t.streak == 1
    assert t.streak_start == MONDAY + timedelta(days=5)
    assert t.best_streak == 3


def test_grace_comes_back_each_monday() -> None:
    # A miss on Friday of week 1 and on Wednesday of week 2: each week's grace covers it.
    met = {n: 1.0 for n in range(14) if n not in (4, 9)}
    t = tracker(goal(grace_days=1), met)
    close(t, 13)
    assert t.streak == 12
    assert t.streak_start == MONDAY


def test_no_grace_breaks_on_the_first_miss() -> None:
    t = tracker(goal(grace_days=0), {0: 1, 1: 1, 3: 1})
    close(t, 3)
    assert t.streak == 1
    assert t.best_streak == 2


def test_two_grace_days() -> None:
    t = tracker(goal(grace_days=2), {0: 1, 2: 1, 4: 1, 5: 1, 6: 1})
    close(t, 6)
    assert t.streak == 5
    t2 = tracker(goal(grace_days=2), {0: 1, 2: 1, 4: 1})
    close(t2, 5)  # the third miss of the week breaks it
    assert t2.streak == 0


def test_rest_days_are_neither_win_nor_miss() -> None:
    t = tracker(goal(grace_days=0), {0: 1, 1: 1, 4: 1}, rest={2, 3})
    closes, _ = t.close_through(MONDAY + timedelta(days=4))
    assert [c.rest for c in closes] == [False, False, True, True, False]
    assert t.streak == 3  # kept, but not lengthened, by the rest days
    assert t.gap_before(MONDAY + timedelta(days=5)) == 0
    strength_at_rest = []
    t2 = tracker(goal(grace_days=0), {0: 1, 1: 1}, rest={2})
    for n in range(3):
        close(t2, n)
        strength_at_rest.append(t2.strength)
    assert strength_at_rest[2] == strength_at_rest[1]  # a rest day leaves strength alone


def test_a_little_done_on_a_rest_day_is_no_miss() -> None:
    g = goal(metric="minutes", target=10, grace_days=0)
    t = tracker(g, {0: 12, 1: 12, 2: 4, 3: 12}, rest={2})
    closes, _ = t.close_through(MONDAY + timedelta(days=3))
    assert closes[2].rest and not closes[2].broke
    assert t.streak == 3
    assert t.strength == pytest.approx(1 - M_DAILY**3)  # the rest day left it alone


def test_a_week_of_rest_days_keeps_a_weekly_streak_even_with_a_win_in_it() -> None:
    g = goal(per="week", target=3)
    t = tracker(g, {0: 1, 1: 1, 2: 1, 8: 1, 14: 1, 15: 1, 16: 1}, rest=set(range(7, 14)))
    _, weeks = t.close_through(MONDAY + timedelta(days=20))
    assert [w.met for w in weeks] == [True, False, True]
    assert weeks[1].active_days == 0
    assert t.streak == 2


def test_a_met_rest_day_counts_for_the_ramp() -> None:
    g = goal(metric="minutes", target=10, ramp=0.05)
    t = tracker(g, {n: 10 for n in range(5)}, rest={4, 5, 6})
    _, weeks = t.close_through(MONDAY + timedelta(days=6))
    assert (weeks[0].met_days, weeks[0].active_days) == (5, 5)
    assert t.target == 10.5


def test_a_win_on_a_rest_day_counts() -> None:
    t = tracker(goal(grace_days=0), {0: 1, 1: 1}, rest={1})
    close(t, 1)
    assert t.streak == 2


def test_gap_before_counts_days_without_a_win_and_skips_rest_days() -> None:
    t = tracker(goal(), {0: 1, 5: 1}, rest={2})
    assert t.gap_before(MONDAY + timedelta(days=1)) == 0
    assert t.gap_before(MONDAY + timedelta(days=4)) == 2  # days 1 and 3; day 2 was a rest
    assert t.gap_before(MONDAY + timedelta(days=5)) == 0  # it already has a win
    assert t.gap_before(MONDAY + timedelta(days=8)) == 2
    assert Tracker(goal()).gap_before(MONDAY) == 0  # nothing before the first win


# -- strength ---------------------------------------------------------------------------------


def test_strength_follows_the_loop_formula() -> None:
    pattern = [1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1]
    g = goal(grace_days=0)
    t = tracker(g, {n: 1.0 for n, done in enumerate(pattern) if done})
    score = 0.0
    for n, done in enumerate(pattern):
        close(t, n)
        score = score * M_DAILY + done * (1 - M_DAILY)
        assert t.strength == pytest.approx(score)


def test_one_missed_day_after_a_long_run_costs_about_five_percent() -> None:
    t = tracker(goal(), {n: 1.0 for n in range(200)})
    close(t, 199)
    long_run = t.strength
    assert long_run > 0.99
    close(t, 200)  # missed
    assert 1 - t.strength / long_run == pytest.approx(0.052, abs=0.005)
    assert t.streak == 200  # grace keeps the streak


def test_strength_of_a_minutes_goal_counts_partial_days() -> None:
    t = tracker(goal(metric="minutes", target=10), {0: 5})
    close(t, 0)
    assert t.strength == pytest.approx(0.5 * (1 - M_DAILY))


def test_strength_of_a_weekly_goal_scores_the_share_of_its_target_in_the_window() -> None:
    g = goal(per="week", target=3)
    assert g.frequency == pytest.approx(3 / 7)
    m = 0.5 ** (math.sqrt(3 / 7) / 13)
    t = tracker(g, {0: 1, 3: 1})
    close(t, 1)
    # Loop doubles a yes-or-no habit's window under once a day: 1 of 6 wins in 14 days.
    assert t.strength == pytest.approx((1 - m) / 6 * m + (1 - m) / 6)
    day_1 = t.strength
    close(t, 3)  # day 2: still 1 of 6; day 3: 2 of 6
    assert t.strength == pytest.approx((day_1 * m + (1 - m) / 6) * m + (1 - m) / 3)


def test_strength_of_a_weekly_minutes_goal_adds_up_the_last_seven_days() -> None:
    m = 0.5 ** (math.sqrt(1 / 7) / 13)
    t = tracker(goal(metric="minutes", per="week", target=300), {0: 100, 7: 50})
    close(t, 6)
    assert t.strength == pytest.approx(1 / 3 * (1 - m**7))
    close(t, 7)  # day 0 left the window, day 7 came in
    assert t.strength == pytest.approx(1 / 3 * (1 - m**7) * m + 1 / 6 * (1 - m))


# -- totals and bests -------------------------------------------------------------------------


def test_totals_count_wins_and_values() -> None:
    t = tracker(goal(), {0: 3, 1: 4})
    t.add(MONDAY, at(MONDAY, 13), 2, "another")
    p = t.snapshot(MONDAY + timedelta(days=1))
    assert p.total_count == 3
    assert p.total_value == 9
    assert p.total == 3
    minutes = tracker(goal(metric="minutes", target=10), {0: 45, 1: 75})
    assert minutes.snapshot(MONDAY + timedelta(days=1)).total == 2.0  # hours
    value = tracker(goal(metric="value", target=10), {0: 45, 1: 75})
    assert value.snapshot(MONDAY + timedelta(days=1)).total == 120


def test_bests_single_day_and_week() -> None:
    g = goal(metric="minutes", target=10)
    t = tracker(g, {0: 20, 1: 15})
    t.add(MONDAY + timedelta(days=1), at(MONDAY + timedelta(days=1), 18), 25, "second")
    close(t, 7)
    assert t.best_single == 25
    assert t.best_day == 40
    assert t.best_week == 60
    t.add(MONDAY + timedelta(days=8), at(MONDAY + timedelta(days=8)), 30, "win 8")
    p = t.snapshot(MONDAY + timedelta(days=8))
    assert (p.best_single, p.best_day, p.best_week) == (30, 40, 60)  # today's 30 counts
    assert p.last_win_title == "win 8"


def test_a_count_goal_has_no_single_best() -> None:
    t = tracker(goal(), {0: 5})
    assert t.best_single == 0


# -- baseline ---------------------------------------------------------------------------------


def test_baseline_is_the_median_of_the_four_weeks_before() -> None:
    g = goal(metric="minutes", target=10)
    weekly = [70, 100, 40, 90, 10]  # weeks 0..4
    t = tracker(g, {7 * w: v for w, v in enumerate(weekly)})
    assert t.baseline_before(MONDAY + timedelta(weeks=3)) is None  # only three weeks before
    assert t.baseline_before(MONDAY + timedelta(weeks=4)) == 80  # median of 70 100 40 90
    assert t.baseline_before(MONDAY + timedelta(weeks=5)) == 65  # median of 100 40 90 10
    # Weeks without a win count as zero.
    assert t.baseline_before(MONDAY + timedelta(weeks=8)) == 0


def test_week_close_reports_value_and_baseline() -> None:
    g = goal(metric="minutes", target=10)
    t = tracker(g, {7 * w: 60 for w in range(4)} | {28: 90})
    _, weeks = t.close_through(MONDAY + timedelta(days=34))
    assert [w.start for w in weeks] == [MONDAY + timedelta(weeks=w) for w in range(5)]
    assert weeks[-1].value == 90
    assert weeks[-1].baseline == 60
    assert weeks[0].baseline is None


# -- kaizen ramp ------------------------------------------------------------------------------


def test_a_week_met_on_five_of_seven_days_raises_the_target() -> None:
    g = goal(metric="minutes", target=10, ramp=0.05)
    t = tracker(g, {n: 10 for n in range(5)})
    _, weeks = t.close_through(MONDAY + timedelta(days=6))
    assert weeks[0].met_days == 5
    assert weeks[0].met
    assert (weeks[0].target_before, weeks[0].target_after) == (10, 10.5)
    assert t.target == 10.5


def test_four_of_seven_days_does_not_raise_it() -> None:
    g = goal(metric="minutes", target=10, ramp=0.05)
    t = tracker(g, {n: 10 for n in range(4)})
    close(t, 6)
    assert t.target == 10


def test_met_days_are_counted_among_active_days() -> None:
    g = goal(metric="minutes", target=10, ramp=0.05)
    t = tracker(g, {0: 10, 1: 10, 2: 10, 3: 10}, rest={4, 5, 6})
    _, weeks = t.close_through(MONDAY + timedelta(days=6))
    assert weeks[0].active_days == 4
    assert t.target == 10.5


def test_the_ramp_stops_at_max_target() -> None:
    g = goal(metric="minutes", target=10, ramp=0.1, max_target=11.5)
    t = tracker(g, {n: 20 for n in range(7 * 4)})
    _, weeks = t.close_through(MONDAY + timedelta(days=27))
    assert [w.target_after for w in weeks] == [11.0, 11.5, 11.5, 11.5]
    assert max(w.target_after for w in weeks) <= 11.5


def test_two_weeks_below_ease_back_one_step() -> None:
    g = goal(metric="minutes", target=10, ramp=0.05)
    values = {n: 12 for n in range(7)}  # week 0 met: 10 -> 10.5
    values |= {7: 12, 8: 12}  # week 1 below: met 2 of 7
    values |= {14: 12}  # week 2 below: eased back to 10
    t = tracker(g, values)
    _, weeks = t.close_through(MONDAY + timedelta(days=20))
    assert [w.target_after for w in weeks] == [10.5, 10.5, 10.0]


def test_one_week_below_does_not_ease_and_the_ramp_never_goes_under_the_goal() -> None:
    g = goal(metric="minutes", target=10, ramp=0.05)
    values = {n: 12 for n in range(7)} | {14 + n: 12 for n in range(7)}
    t = tracker(g, values)
    _, weeks = t.close_through(MONDAY + timedelta(days=20))
    assert [w.target_after for w in weeks] == [10.5, 10.5, 11.0]  # minutes step in tenths
    idle = tracker(g, {0: 1})
    close(idle, 7 * 6)
    assert idle.target == 10


def test_ramp_steps_are_kept_from_the_settings() -> None:
    settings = GoalSettings(sources=("s",), ramp="5%", target=10, max_target=12)
    assert settings.ramp == pytest.approx(0.05)
    with pytest.raises(ValueError, match="max_target"):
        GoalSettings(sources=("s",), target=10, max_target=5)


# -- weekly goals -----------------------------------------------------------------------------


def test_weekly_goal_streak_counts_weeks() -> None:
    g = goal(per="week", target=3)
    t = tracker(g, {0: 1, 2: 1, 4: 1, 7: 1, 8: 1, 9: 1, 14: 1})
    _, weeks = t.close_through(MONDAY + timedelta(days=20))
    assert [w.met for w in weeks] == [True, True, False]
    assert t.streak == 0
    assert t.best_streak == 2
    p = tracker(g, {0: 1, 2: 1, 4: 1, 7: 1, 8: 1})
    close(p, 7)
    assert p.snapshot(MONDAY + timedelta(days=8)).streak == 1  # 2 of 3 this week
    p.add(MONDAY + timedelta(days=9), at(MONDAY + timedelta(days=9)), 1, "third")
    assert p.snapshot(MONDAY + timedelta(days=9)).streak == 2  # this week is met already


def test_weekly_goal_days_never_break_the_streak_and_use_no_grace() -> None:
    g = goal(per="week", target=1, grace_days=0)
    t = tracker(g, {0: 1, 13: 1})
    closes, _ = t.close_through(MONDAY + timedelta(days=13))
    assert not any(c.broke or c.grace_used for c in closes)
    assert t.streak == 2


def test_weekly_goal_ramp() -> None:
    g = goal(per="week", metric="minutes", target=100, ramp=0.1)
    t = tracker(g, {0: 120, 7: 50, 14: 50})
    _, weeks = t.close_through(MONDAY + timedelta(days=20))
    assert [w.target_after for w in weeks] == [110, 110, 100]


def test_week_start_is_monday() -> None:
    assert week_start(MONDAY + timedelta(days=6)) == MONDAY
    assert week_start(MONDAY + timedelta(days=7)) == MONDAY + timedelta(days=7)
