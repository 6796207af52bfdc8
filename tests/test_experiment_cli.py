"""``smallwins experiment`` end to end: the real command line over a real journal and
ledger, an experiment's end told once to a real HTTP receiver, and bad input refused."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smallwins.testing import run_cli
from tests.receiver import Receiver

# The local day as smallwins counts it here: UTC, days starting at 04:00.
TODAY = (datetime.now(UTC) - timedelta(hours=4)).date()
BEGAN = TODAY - timedelta(days=20)


@pytest.fixture
def journal_home(tmp_path: Path, receiver: Receiver) -> Path:
    """A journal of 70 days with a few wins a day, a third more during the 14 days from
    ``BEGAN``; quiet hours off, so what is due is told at once."""
    root = tmp_path / "home"
    (root / "data").mkdir(parents=True)
    (root / "config.toml").write_text(
        f'timezone = "UTC"\ndigest = "off"\n[notify]\nurls = ["{receiver.url}"]\n'
        'coalesce_seconds = 0\nquiet_hours = ""\n'
    )
    rng = random.Random(5)
    lines = []
    for back in range(70, 0, -1):
        day = TODAY - timedelta(days=back)
        mean = 4.0 * (1.3 if BEGAN <= day < BEGAN + timedelta(days=14) else 1.0)
        for n in range(rng.randint(0, round(2 * mean))):
            lines.append(f"- {day}T{10 + n % 10:02d}:{n:02d}Z note {n} ^d{back:03d}n{n:02d}")
    (root / "data" / "journal.md").write_text("\n".join(lines) + "\n")
    return root


def cli(home: Path, *args: str, code: int = 0) -> str:
    ran = run_cli(*args, home=home)
    assert ran.returncode == code, ran.stdout + ran.stderr
    assert "Traceback" not in ran.stderr
    return ran.stdout if code == 0 else ran.stderr


def listed(home: Path) -> list[dict[str, object]]:
    return list(json.loads(cli(home, "experiment", "list", "--json")))


def test_an_experiment_begun_in_the_past_is_listed_and_its_end_told_once(
    journal_home: Path, receiver: Receiver
) -> None:
    cli(journal_home, "run", "--once")
    before = len(receiver.messages)
    started = cli(
        journal_home,
        *("experiment", "start", "sit before coffee", "--goal", "journal"),
        *("--from", BEGAN.isoformat(), "--days", "14"),
    )
    assert f"{BEGAN} to {BEGAN + timedelta(days=13)}" in started
    [found] = listed(journal_home)
    assert set(found) >= {"name", "goal", "before", "during", "mean_before", "mean_during"}
    assert found["name"] == "sit before coffee" and found["goal"] == "journal"
    first = TODAY - timedelta(days=48)
    assert found["before"] == [first.isoformat(), (BEGAN - timedelta(days=1)).isoformat()]
    assert found["during"] == [BEGAN.isoformat(), (BEGAN + timedelta(days=13)).isoformat()]
    change, interval = found["change"], found["interval"]
    assert isinstance(change, float) and isinstance(interval, list) and len(interval) == 2
    assert interval[0] < change < interval[1]
    assert isinstance(found["mean_before"], float) and isinstance(found["mean_during"], float)
    assert abs(found["mean_during"] / found["mean_before"] - 1 - change) < 1e-3
    text = cli(journal_home, "experiment", "list")
    assert "sit before coffee (journal," in text and "during 'sit before coffee' against" in text

    cli(journal_home, "run", "--once")
    cli(journal_home, "run", "--once")  # a restart tells it no more
    told = [m for m in receiver.messages[before:] if "sit before coffee" in str(m["title"])]
    assert len(told) == 1, receiver.messages
    assert str(told[0]["message"]).startswith("Wins of your own per day: ")  # the journal's words
    assert str(told[0]["message"]) == found["sentence"]
    assert told[0]["type"] == "info"
    # Replay tells it too, once, the morning after its last day, in the same words.
    replayed = json.loads(cli(journal_home, "replay", "--json"))
    [end] = [m for m in replayed if m["kind"] == "experiment"]
    assert end["message"] == found["sentence"] and end["title"].endswith("has ended")
    assert end["at"].startswith(str(BEGAN + timedelta(days=14)))


def test_a_running_experiment_is_stopped_early(journal_home: Path) -> None:
    cli(journal_home, "run", "--once")
    began = TODAY - timedelta(days=3)
    cli(
        journal_home, "experiment", "start", "walk first", "--goal", "journal", "--from", str(began)
    )
    [running] = listed(journal_home)
    assert running["interval"] is None and running["during"][1] == str(began + timedelta(13))  # type: ignore[index]
    assert "stop it with" in cli(
        journal_home, "experiment", "start", "walk first", "--goal", "journal", code=2
    )
    stopped = cli(journal_home, "experiment", "stop")
    assert f"{began} to {TODAY - timedelta(days=1)}" in stopped
    [ended] = listed(journal_home)
    assert ended["during"] == [str(began), str(TODAY - timedelta(days=1))]
    assert isinstance(ended["interval"], list)
    assert "no experiment is running" in cli(journal_home, "experiment", "stop", code=2)
    # One stopped on its first day has nothing to compare: it is taken back.
    cli(journal_home, "experiment", "start", "no phone", "--goal", "journal")
    assert "nothing to compare" in cli(journal_home, "experiment", "stop", "no phone")
    assert [e["name"] for e in listed(journal_home)] == ["walk first"]
    refused = cli(
        journal_home,
        "experiment",
        "start",
        "tea",
        "--goal",
        "journal",
        "--from",
        "2020-01-01",
        code=2,
    )
    assert (
        f"has no win before 2020-01-01 to compare against; its first is on {TODAY - timedelta(70)}"
        in refused
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--goal", "nope"), "no goal named 'nope'; the goals are: journal"),
        (("--goal", "journal", "--days", "0"), "0 is not in the range 1<=x<=3650"),
        (("--goal", "journal", "--from", str(TODAY + timedelta(days=1))), "is in the future"),
        (("--goal", "journal", "--from", "last week"), "use a date like 2026-11-01"),
    ],
)
def test_bad_input_is_refused_with_its_fix(
    journal_home: Path, args: tuple[str, ...], says: str
) -> None:
    refused = cli(journal_home, "experiment", "start", "tea", *args, code=2)
    assert says in refused
    assert listed(journal_home) == []


def test_an_experiment_needs_history(journal_home: Path) -> None:
    (journal_home / "data" / "journal.md").unlink()
    refused = cli(journal_home, "experiment", "start", "tea", "--goal", "journal", code=2)
    assert "goal 'journal' has no win before" in refused
    assert listed(journal_home) == []


def test_a_name_with_control_characters_is_refused(journal_home: Path) -> None:
    refused = cli(journal_home, "experiment", "start", "\x1b[31mred", "--goal", "journal", code=2)
    assert "a name in plain text" in refused
