"""Insights across sources: told only when they stand, at most one a month, never as a cause,
off with ``insights = false``; the worker runs as a real subprocess, and one that is killed or
too slow costs a log line."""

from __future__ import annotations

import json
import logging
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from smallwins import RestDay, Win
from smallwins.api.moment import Moment
from smallwins.coach import insight
from smallwins.coach.insight import Finding, consider, pairs
from tests.daemon_proc import DaemonProcess
from tests.histories import Sim, SourceInfo, coach_for, day_goal, local, targets_for

START = date(2026, 1, 5)
DAYS = 180
NOW = local(START + timedelta(days=DAYS), 9)


def history(seed: int, effect: float) -> dict[str, dict[int, int]]:
    """Day number -> wins of two sources: sits on about half the days, commits a Poisson-like
    3 a day, ``effect`` more on days with a sit."""
    rng = random.Random(seed)
    sits, code = {}, {}
    for n in range(DAYS):
        sat = rng.random() < 0.5
        if sat:
            sits[n] = 1
        mean = 3.0 * (1 + effect if sat else 1)
        count = sum(1 for _ in range(40) if rng.random() < mean / 40)
        if count:
            code[n] = count
    return {"sits": sits, "code": code}


def wins(days: dict[int, int], source: str) -> list[Win]:
    return [
        Win(
            key=f"{source}-{n}-{i}",
            title=f"{source} {n}",
            occurred_at=local(START + timedelta(days=n), 10, i),
            history=True,
        )
        for n, count in days.items()
        for i in range(count)
    ]


def sim(
    tmp_path: Path | None, seed: int, effect: float, rest: Sequence[RestDay] | None = None
) -> Sim:
    goals = [
        day_goal("sits", "sits", noun="sit", plural="sits"),
        day_goal("code", "code", noun="commit", plural="commits"),
    ]
    s = Sim.at(
        tmp_path,
        datetime(2026, 1, 1, tzinfo=UTC),
        lambda: coach_for(goals),
        {"sits": SourceInfo("sit", "sits"), "code": SourceInfo("commit", "commits")},
    )
    made = history(seed, effect)
    for source in ("sits", "code"):
        s.scan(
            source,
            wins(made[source], source),
            now=local(START, 3),
            first_scan=True,
            rest_days=rest if source == "sits" else None,
        )
    s.restart(NOW)
    return s


def look(
    s: Sim, now: datetime = NOW, *, worker: Sequence[str] = insight.WORKER, timeout: float = 60
) -> list[Moment]:
    return consider(s.ledger, s.coach, targets_for, now, worker=worker, timeout=timeout)


def test_a_real_effect_is_told_with_its_numbers(tmp_path: Path) -> None:
    s = sim(tmp_path, seed=3, effect=0.35)
    made = history(3, 0.35)
    told = look(s)
    assert len(told) == 1
    moment = s.told("insight")[0]
    # B's daily mean on days with A against days without, over the closed days.
    days = range(DAYS)
    with_a = [made["code"].get(n, 0) for n in days if n in made["sits"]]
    without = [made["code"].get(n, 0) for n in days if n not in made["sits"]]
    change = (sum(with_a) / len(with_a)) / (sum(without) / len(without)) - 1
    assert change >= 0.3
    assert moment.message.startswith(
        f"On days with sits, you made {round(change * 100)}% more commits ({DAYS} days; it held in "
    )
    assert moment.message.endswith(" of 10 resamples of months).")
    assert moment.goal == "code" and moment.category == "digest"
    for word in ("because", "helps", "caused", "thanks to"):
        assert word not in moment.message.lower()
    assert moment.payload["days"] == DAYS


def test_at_most_one_a_month_and_a_pair_not_again_within_a_year(tmp_path: Path) -> None:
    s = sim(tmp_path, seed=3, effect=0.35)
    assert len(look(s)) == 1
    # Another look the next day, or three weeks on: a month has not passed.
    assert look(s, NOW + timedelta(days=1)) == []
    assert look(s, NOW + timedelta(days=21)) == []
    # A month on, the same pair stands again (the quiet month after the history is no
    # evidence), but was told within the year.
    s.restart(NOW + timedelta(days=31))
    assert all(m.goal != "code" for m in look(s, NOW + timedelta(days=31)))
    assert [m.goal for m in s.told("insight")].count("code") == 1


def independent_question(seed: int) -> dict[str, object]:
    s = sim(None, seed=seed, effect=0.0)
    tried = pairs(s.coach, s.coach.schedule.today(NOW))
    s.ledger.close()
    return {"pairs": tried}


def test_independent_sources_stay_silent_in_at_least_95_percent_of_seeded_runs() -> None:
    seeds = range(40)
    questions = [independent_question(seed) for seed in seeds]
    assert all(q["pairs"] for q in questions)
    request = {
        "seed": 1,
        "resamples": insight.RESAMPLES,
        "stability": insight.STABILITY,
        "questions": questions,
    }
    answer = insight.ask_worker(request, timeout=300)
    assert answer is not None
    spoke = 0
    for one in answer["answers"]:
        found = insight.findings({"answers": [one]})
        spoke += any(f.stands for f in found)
    assert spoke <= 2, f"{spoke} of 40 independent histories were told an insight"


def export(days: dict[int, int], end: date, path: Path) -> None:
    """An Insight Timer export: ``days`` (days before ``end`` -> sessions), newest first."""
    lines = ["Started At,Duration,Preset,Activity"]
    for n in sorted(days):
        for i in range(days[n]):
            at = datetime.combine(end - timedelta(days=n), datetime.min.time()).replace(hour=7 + i)
            lines.append(f"{at:%m/%d/%Y %H:%M:%S},0:20:0,,PracticeType.Meditation")
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("on", [True, False])
def test_the_daemon_tells_one_after_its_first_pass_unless_insights_are_off(
    tmp_path: Path, on: bool
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    made = history(3, 0.35)
    today = datetime.now(UTC).date()
    # Day numbers counted back from yesterday, so the history ends where the daemon's starts.
    export({DAYS - n: c for n, c in made["sits"].items()}, today, home / "sits.csv")
    export({DAYS - n: c for n, c in made["code"].items()}, today, home / "yoga.csv")
    config = f'timezone = "UTC"\ninsights = {str(on).lower()}\n'
    for name in ("sits", "yoga"):
        config += f'[sources.{name}]\ndetector = "meditation"\npath = "{home / name}.csv"\n'
    (home / "config.toml").write_text(config)
    (home / "config.toml").chmod(0o600)
    daemon = DaemonProcess(home, tmp_path, env={"SMALLWINS_HOME": str(home)})
    try:
        daemon.wait_ready()
        if on:
            daemon.wait_for_log("insights: one told about yoga", timeout=120)
        else:
            # Both first scans recorded: the look would start now; give it time not to.
            daemon.wait_for_log("source yoga:", timeout=60)
            daemon.wait_for_log("source sits:", timeout=60)
            time.sleep(8)
        assert daemon.stop() == 0
        said = daemon.stderr
    finally:
        daemon.close()
    assert ("insights:" in said) == on, said


def logged(caplog: pytest.LogCaptureFixture, fn: Callable[[], list[Moment]]) -> list[str]:
    with caplog.at_level(logging.WARNING, logger="smallwins.coach"):
        assert fn() == []
    return [r.getMessage() for r in caplog.records if r.name == "smallwins.coach"]


def test_a_killed_worker_costs_a_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    s = sim(tmp_path, seed=3, effect=0.35)
    killed = (sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    lines = logged(caplog, lambda: look(s, worker=killed))
    assert lines == ["insights: the worker failed (exit status -9); skipped until tomorrow"]
    assert s.told("insight") == []
    # The next look, with a worker that answers, tells it.
    assert len(look(s)) == 1


def test_a_slow_worker_is_given_up_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    s = sim(tmp_path, seed=3, effect=0.35)
    slow = (sys.executable, "-c", "import time; time.sleep(30)")
    lines = logged(caplog, lambda: look(s, worker=slow, timeout=0.5))
    assert lines == ["insights: the worker took longer than 0 s; skipped until tomorrow"]
    assert s.told("insight") == []


def test_rest_days_and_days_away_from_both_are_left_out() -> None:
    # A fortnight of rest days for sits: neither a day with a sit nor one without.
    rest = [RestDay(START + timedelta(days=n)) for n in range(100, 114)]
    s = sim(None, seed=3, effect=0.35, rest=rest)
    (tried,) = [p for p in pairs(s.coach, s.coach.schedule.today(NOW)) if p["a"] == "sits"]
    assert len(tried["with_a"]) == DAYS - 14
    # A month after the history ended, the days since are days away from both: not counted.
    later_on = s.coach.schedule.today(NOW) + timedelta(days=30)
    (later,) = [p for p in pairs(s.coach, later_on) if p["a"] == "sits"]
    assert later["with_a"] == tried["with_a"]
    s.ledger.close()


def test_too_little_history_tries_nothing() -> None:
    s = sim(None, seed=3, effect=0.35)
    assert pairs(s.coach, START + timedelta(days=60)) == []
    s.ledger.close()


def test_the_worker_answers_json_and_never_loads_scipy_in_the_caller() -> None:
    request = {
        "seed": 0,
        "resamples": 999,
        "stability": 3,
        "questions": [
            {
                "pairs": [
                    {
                        "a": "x",
                        "b": "y",
                        "with_a": [1, 0] * 20,
                        "b_values": [2.0, 1.0] * 20,
                        "months": [1] * 20 + [2] * 20,
                    }
                ]
            }
        ],
    }
    done = subprocess.run(
        [*insight.WORKER], input=json.dumps(request), capture_output=True, text=True, check=True
    )
    pair = json.loads(done.stdout)["answers"][0]["pairs"][0]
    assert pair["change"] == 1.0 and pair["held"] == 3 and pair["q"] <= 0.002
    assert Finding(**{k: pair[k] for k in Finding.__slots__}).stands
    assert "scipy" not in sys.modules
