"""Experiments: what a change did to a goal's daily total, told once when it ends, with an
interval from a bootstrap over weekdays that finds a real effect and stays honest without one."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from smallwins.api.goal import Goal
from smallwins.api.progress import Tracker
from smallwins.api.win import Win
from smallwins.coach.experiment import baseline, outcome
from smallwins.ledger import Experiment
from smallwins.testing import Harness

START = date(2026, 11, 2)  # a Monday
# Fewer commits at the weekend: a window's mix of weekdays must not pass for an effect.
WEEKDAY = (1.2, 1.2, 1.1, 1.0, 1.0, 0.5, 0.4)


def poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p < limit:
            return k
        k += 1


def daily(rng: random.Random, first: date, days: int, mean: float) -> list[tuple[date, int]]:
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        out.append((day, poisson(rng, mean * WEEKDAY[day.weekday()])))
    return out


def commits(history: list[tuple[date, int]]) -> list[Win]:
    return [
        Win(
            key=f"{day}-{n}",
            title=f"commit {n}",
            occurred_at=datetime(day.year, day.month, day.day, 10 + n % 10, n, tzinfo=UTC),
            history=True,
        )
        for day, count in history
        for n in range(count)
    ]


def test_the_baseline_is_28_days_or_twice_the_window_cut_at_the_first_win() -> None:
    far = date(2026, 1, 1)
    assert baseline(START, 14, far) == (START - timedelta(days=28), START - timedelta(days=1))
    assert baseline(START, 20, far) == (START - timedelta(days=40), START - timedelta(days=1))
    assert baseline(START, 14, date(2026, 10, 20)) == (date(2026, 10, 20), date(2026, 11, 1))
    assert baseline(START, 14, START) is None
    assert baseline(START, 14, None) is None


def test_a_real_30_percent_gain_is_told_once_with_an_interval_above_0(tmp_path: Path) -> None:
    rng = random.Random(7)
    history = daily(rng, START - timedelta(days=56), 56, 10.0)
    history += daily(rng, START, 28, 10.0 * 1.3)
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    with Harness(tmp_path, now=now) as harness:
        harness.record("code", commits(history))
        harness.ledger.add_experiment("sit before coffee", "code", START, 28)
        # Its last day has not ended yet.
        assert not [m for m in harness.advance(timedelta(hours=12)) if m.kind == "experiment"]
        told = [m for m in harness.advance(timedelta(days=1)) if m.kind == "experiment"]
        again = harness.advance(timedelta(days=3))
    assert len(told) == 1 and not [m for m in again if m.kind == "experiment"]
    result = told[0].payload
    low, high = result["interval"]
    assert 0 < low < result["change"] < high
    assert result["during"] == ["2026-11-02", "2026-11-29"]
    assert result["before"] == ["2026-09-07", "2026-11-01"]
    assert (result["days_during"], result["days_before"]) == (28, 56)
    assert told[0].message.startswith("Wins per day: ")
    assert "during 'sit before coffee' against" in told[0].message
    assert ", 95% interval +" in told[0].message and "28 days against 56)" in told[0].message
    # Told once: a restart reads the ledger and finds it told.
    with Harness(tmp_path, now=now + timedelta(days=5)) as restarted:
        restarted.record("code", [Win(key="late", title="late", occurred_at=restarted.clock())])
        restarted.advance(timedelta(days=2))
        assert len(restarted.moments("experiment")) == 1


def test_without_an_effect_the_interval_holds_0_in_at_least_90_percent_of_runs() -> None:
    goal = Goal("code", ("code",), noun="commit", plural="commits")
    holds = 0
    for seed in range(50):
        rng = random.Random(seed)
        tracker = Tracker(goal)
        for day, count in daily(rng, START - timedelta(days=28), 42, 2.4):
            if count:
                tracker.add_day(day, count, float(count), 1.0)
        experiment = Experiment(seed, f"try {seed}", "code", START, 14)
        found = outcome(experiment, goal, tracker, START + timedelta(days=14))
        assert found.interval is not None
        holds += found.interval[0] <= 0 <= found.interval[1]
    assert holds >= 45, holds


def test_the_same_ledger_gives_the_same_numbers_and_rest_days_are_left_out() -> None:
    goal = Goal("code", ("code",), noun="commit", plural="commits")
    tracker = Tracker(goal)
    for day, count in daily(random.Random(3), START - timedelta(days=28), 42, 3.0):
        tracker.add_day(day, count, float(count), 1.0)
    experiment = Experiment(1, "standing desk", "code", START, 14)
    today = START + timedelta(days=14)
    first = outcome(experiment, goal, tracker, today)
    assert outcome(experiment, goal, tracker, today) == first
    tracker.rest = {START + timedelta(days=5), START - timedelta(days=3)}
    rested = outcome(experiment, goal, tracker, today)
    assert (rested.days_during, rested.days_before) == (13, 27)


def test_plain_words_when_the_days_cannot_tell() -> None:
    goal = Goal("code", ("code",), noun="commit", plural="commits")
    tracker = Tracker(goal)
    rng = random.Random(11)
    for day, count in daily(rng, START - timedelta(days=28), 28, 3.0):
        tracker.add_day(day, count, float(count), 1.0)
    for day, count in daily(rng, START, 4, 3.3):
        tracker.add_day(day, count, float(count), 1.0)
    short = outcome(Experiment(1, "tea", "code", START, 4), goal, tracker, START + timedelta(4))
    more = short.more_days()
    assert more is not None and more > 0
    assert short.sentence().endswith(f"too few days to say; {more} more would")
    assert short.sentence().startswith("Commits per day: ")
    # No change at all: no number of days would show one.
    flat = Tracker(goal)
    for n in range(35):
        flat.add_day(START - timedelta(days=28) + timedelta(days=n), 2, 2.0, 1.0)
    same = outcome(Experiment(2, "same", "code", START, 7), goal, flat, START + timedelta(7))
    assert same.sentence().endswith("no difference to see so far")
    running = outcome(Experiment(3, "on", "code", START, 14), goal, tracker, START + timedelta(2))
    assert running.interval is None and "so far, 2 days against 28)" in running.sentence()
    unknown = outcome(Experiment(4, "gone", "old", START, 7), None, None, START + timedelta(9))
    assert unknown.sentence() == "'gone': its goal 'old' is not in the config"
    assert unknown.to_json()["interval"] is None
