"""Strength is the Loop Habit Tracker's score: its own test cases, with its expected numbers.

The cases and numbers come from uhabits (https://github.com/iSoron/uhabits) at commit
5aa8744ef4c8e391c875bbb482e3e79740b5fd81: ``uhabits-core/src/jvmTest/java/org/isoron/uhabits/
core/models/ScoreTest.kt`` and ``ScoreListTest.kt`` (YesNoScoreListTest,
NumericalAtLeastScoreListTest, NumericalAtLeastScoreListWithSkipTest,
NumericalAtMostScoreListTest), with their tolerances.
Loop's habits map onto goals as follows: a yes-or-no habit of ``n`` times in 7 days is a
``count`` goal of ``target = n`` per week, a numerical habit is a ``value`` goal (Loop stores
2.0 miles as 2000), a skipped day is a rest day. Loop's cases with a frequency that is neither
a day nor a week (1 in 2 days, 1 in 30) have no goal to port to and are left out, and so is
a target of 0 (a goal's target is above 0). An "at most" habit is a limit,
``direction = "at_most"``.

Loop numbers its days back from today: ``{0: ...}`` is today, ``{1: ...}`` yesterday.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import pytest

from smallwins.api.goal import Goal
from smallwins.api.progress import Tracker, loop_score

TODAY = date(2026, 3, 1)
E = 1e-6  # Loop's tolerance, unless a case says otherwise


def goal(**kw: object) -> Goal:
    return Goal(name="habit", sources=("s",), grace_days=0, **kw)  # type: ignore[arg-type]


def yes_no(times_a_week: int | None = None) -> Goal:
    """Loop's yes-or-no habit: daily, or ``times_a_week`` times in 7 days."""
    if times_a_week is None:
        return goal()
    return goal(per="week", target=times_a_week)


def numerical(*, per: str = "day", target: float = 2.0, **kw: object) -> Goal:
    """Loop's numerical habit of the fixtures: at least 2 miles a day (or a week)."""
    return goal(metric="value", per=per, target=target, **kw)


def at_most(**kw: object) -> Goal:
    """Loop's numerical "at most" habit of the fixtures: at most 2 miles a day."""
    return numerical(direction="at_most", **kw)


def scores(
    g: Goal, entries: Mapping[int, float], skips: Iterable[int] = (), days: int = 0
) -> list[float]:
    """The strength at the end of each day, today first, then ``days - 1`` days before it
    (0 before the goal's first day, as Loop's list has it)."""
    t = Tracker(g)
    t.rest = {TODAY - timedelta(days=n) for n in skips}
    for n, value in entries.items():
        count = int(value) if g.metric == "count" else 1
        t.add_day(TODAY - timedelta(days=n), count, value, value)
    by_day: dict[date, float] = {}
    assert t.first_day is not None
    day = t.first_day
    while day <= TODAY:
        t.close_through(day)
        by_day[day] = t.strength
        day += timedelta(days=1)
    return [by_day.get(TODAY - timedelta(days=n), 0.0) for n in range(max(days, 1))]


def today_score(g: Goal, entries: Mapping[int, float], skips: Iterable[int] = ()) -> float:
    return scores(g, entries, skips)[0]


# -- ScoreTest ---------------------------------------------------------------------------------


def test_compute_with_daily_habit() -> None:
    assert loop_score(1.0, 0.0, 1) == pytest.approx(0.051922, abs=E)
    assert loop_score(1.0, 0.5, 1) == pytest.approx(0.525961, abs=E)
    assert loop_score(1.0, 0.75, 1) == pytest.approx(0.762981, abs=E)
    assert loop_score(1.0, 0.0, 0) == pytest.approx(0.0, abs=E)
    assert loop_score(1.0, 0.5, 0) == pytest.approx(0.474039, abs=E)
    assert loop_score(1.0, 0.75, 0) == pytest.approx(0.711058, abs=E)


def test_compute_with_non_daily_habit() -> None:
    freq = 1 / 3.0
    assert loop_score(freq, 0.0, 1) == pytest.approx(0.030314, abs=E)
    assert loop_score(freq, 0.5, 1) == pytest.approx(0.515157, abs=E)
    assert loop_score(freq, 0.75, 1) == pytest.approx(0.757578, abs=E)
    assert loop_score(freq, 0.0, 0) == pytest.approx(0.0, abs=E)
    assert loop_score(freq, 0.5, 0) == pytest.approx(0.484842, abs=E)
    assert loop_score(freq, 0.75, 0) == pytest.approx(0.727263, abs=E)


# -- YesNoScoreListTest ------------------------------------------------------------------------

DAILY_20 = [
    0.655747, 0.636894, 0.617008, 0.596033, 0.573910, 0.550574, 0.525961, 0.500000,
    0.472617, 0.443734, 0.413270, 0.381137, 0.347244, 0.311495, 0.273788, 0.234017,
    0.192067, 0.147820, 0.101149, 0.051922, 0.000000, 0.000000, 0.000000,
]  # fmt: skip


def test_yes_no_get_value() -> None:
    got = scores(yes_no(), {n: 1 for n in range(20)}, days=len(DAILY_20))
    assert got == pytest.approx(DAILY_20, abs=E)


def test_yes_no_get_value_with_skip() -> None:
    expected = [
        0.596033, 0.573910, 0.550574, 0.525961, 0.500000, 0.472617, 0.472617, 0.443734,
        0.413270, 0.381137, 0.347244, 0.347244, 0.347244, 0.311495, 0.273788, 0.234017,
        0.192067, 0.147820, 0.101149, 0.051922, 0.000000, 0.000000, 0.000000,
    ]  # fmt: skip
    entries = {n: 1.0 for n in range(20) if n not in (5, 10, 11)}
    got = scores(yes_no(), entries, skips=(5, 10, 11), days=len(expected))
    assert got == pytest.approx(expected, abs=E)


def test_yes_no_get_value_with_skip_2() -> None:
    expected = [0.041949, 0.044247, 0.046670, 0.049226, 0.051922, 0.051922, 0.0]
    got = scores(yes_no(), {5: 1}, skips=(4,), days=len(expected))
    assert got == pytest.approx(expected, abs=E)


def test_yes_no_imperfect_non_daily() -> None:
    # 3 times a week, one of them missed each week: the score converges to 66%.
    entries = {7 * k + d: 1.0 for k in range(100) for d in (0, 1)}
    assert today_score(yes_no(3), entries) == pytest.approx(2 / 3.0, abs=E)
    # 2 of 4 a week: 50%.
    assert today_score(yes_no(4), entries) == pytest.approx(0.5, abs=E)


def test_yes_no_irregular_non_daily() -> None:
    # Once a week, every week, on whatever weekday: the score still converges to 100%.
    entries = {14 * k + d: 1.0 for k in range(100) for d in (0, 13)}
    assert today_score(yes_no(1), entries) == pytest.approx(1.0, abs=1e-3)


def test_yes_no_achieves_a_high_score_in_reasonable_time() -> None:
    # Daily habits reach 99% in 3 months, weekly ones in 9 months.
    assert today_score(yes_no(), {n: 1.0 for n in range(90)}) > 0.99
    assert today_score(yes_no(1), {7 * i: 1.0 for i in range(39)}) > 0.99


def test_yes_no_recompute() -> None:
    assert today_score(yes_no(), {0: 1.0, 1: 1.0}) == pytest.approx(0.101149, abs=E)
    assert today_score(yes_no(), {0: 1.0}) == pytest.approx(0.051922, abs=E)


# -- NumericalAtLeastScoreListTest -------------------------------------------------------------


def test_numerical_at_least_get_value() -> None:
    got = scores(numerical(), {n: 2.0 for n in range(20)}, days=len(DAILY_20))
    assert got == pytest.approx(DAILY_20, abs=E)


def test_numerical_at_least_achieves_a_high_score_in_reasonable_time() -> None:
    assert today_score(numerical(), {i: 2.0 for i in range(90)}) > 0.99
    assert today_score(numerical(per="week"), {7 * i: 2.0 for i in range(39)}) > 0.99


def test_numerical_at_least_score_is_comparable_to_progress() -> None:
    assert today_score(numerical(), {n: 1.0 for n in range(500)}) == pytest.approx(0.5, abs=E)
    assert today_score(numerical(), {n: 0.5 for n in range(500)}) == pytest.approx(0.25, abs=E)


def test_numerical_at_least_overachieving_is_not_relevant() -> None:
    assert today_score(numerical(), {0: 10000.0}) == pytest.approx(0.051922, abs=E)


def test_numerical_at_least_with_skip_get_value() -> None:
    expected = [
        0.617008, 0.596033, 0.573910, 0.550574, 0.525961, 0.500000, 0.472617, 0.443734,
        0.413270, 0.381137, 0.347244, 0.347244, 0.311495, 0.273788, 0.234017, 0.192067,
        0.192067, 0.147820, 0.101149, 0.051922, 0.000000, 0.000000, 0.000000,
    ]  # fmt: skip
    entries = {n: 2.0 for n in range(20) if n not in (10, 15)}
    got = scores(numerical(), entries, skips=(10, 15), days=len(expected))
    assert got == pytest.approx(expected, abs=E)


def test_numerical_at_least_skips_do_not_affect_the_score() -> None:
    initial = today_score(numerical(), {n: 1.0 for n in range(500)}, skips=range(500, 1000))
    entries = {n: 1.0 for n in [*range(300), *range(500, 700)]}
    later = today_score(numerical(), entries, skips=[*range(300, 500), *range(700, 1000)])
    assert later == pytest.approx(initial, abs=E)


# -- NumericalAtMostScoreListTest --------------------------------------------------------------


def test_numerical_at_most_get_value() -> None:
    expected = [
        0.344253, 0.363106, 0.382992, 0.403967, 0.426090, 0.449426, 0.474039, 0.500000,
        0.527383, 0.556266, 0.586730, 0.618863, 0.652756, 0.688505, 0.726212, 0.765983,
        0.807933, 0.852180, 0.898851, 0.948078, 1.0, 0.0, 0.0,
    ]  # fmt: skip
    entries = {20: 1.0, **{n: 5.0 for n in range(20)}}
    assert scores(at_most(), entries, days=len(expected)) == pytest.approx(expected, abs=E)


def test_numerical_at_most_recompute() -> None:
    # With nothing recorded yet, a limit is kept in full.
    assert today_score(at_most(since=TODAY), {}) == pytest.approx(1.0, abs=E)
    assert today_score(at_most(), {0: 5.0, 1: 5.0}) == pytest.approx(0.898850, abs=E)


def test_numerical_at_most_score_is_comparable_to_progress() -> None:
    assert today_score(at_most(), {n: 3.0 for n in range(500)}) == pytest.approx(0.5, abs=E)
    assert today_score(at_most(), {n: 3.5 for n in range(500)}) == pytest.approx(0.25, abs=E)


def test_numerical_at_most_underachieving_is_not_relevant() -> None:
    assert today_score(at_most(), {1: 10000.0}) == pytest.approx(0.950773, abs=E)


def test_numerical_at_most_overachieving_is_not_relevant() -> None:
    assert today_score(at_most(), {0: 5.0, 1: 0.0}) == pytest.approx(0.948077, abs=E)
    assert today_score(at_most(), {0: 5.0, 1: 1.0}) == pytest.approx(0.948077, abs=E)


# -- per-week goals as they are lived -----------------------------------------------------------


def test_three_times_a_week_met_for_a_year_is_a_strong_habit() -> None:
    # Monday, Wednesday and Friday, 52 weeks in a row (TODAY is a Sunday).
    entries = {7 * k + d: 1.0 for k in range(52) for d in (2, 4, 6)}
    assert today_score(yes_no(3), entries) > 0.99


def test_a_minute_a_day_against_300_a_week_is_weak() -> None:
    g = goal(metric="minutes", per="week", target=300)
    # 7 of 300 minutes a week: strength settles near that share, not near 100%.
    assert today_score(g, {n: 1.0 for n in range(365)}) == pytest.approx(7 / 300, abs=0.002)


def test_a_week_done_in_one_day_counts_in_full() -> None:
    # 3 wins on one day a week meet a 3-a-week goal: the window counts wins, not days.
    entries = {7 * k: 3.0 for k in range(52)}
    assert today_score(yes_no(3), entries) > 0.99


def test_a_week_within_its_limit_keeps_full_strength() -> None:
    # At most 60 minutes a week: 50 a week is within it; Loop's "at most" looks at 7 days.
    g = goal(metric="minutes", per="week", target=60, direction="at_most")
    assert today_score(g, {7 * k: 50.0 for k in range(52)}) == pytest.approx(1.0, abs=E)
    # 90 a week is half again over the limit: the score settles at a half.
    assert today_score(g, {7 * k: 90.0 for k in range(104)}) == pytest.approx(0.5, abs=1e-3)
