"""End to end: ``smallwins done`` with the daemon running and stopped, and an editor's atomic
save of the journal, each told once to a real HTTP receiver."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_run import smallwins
from tests.daemon_proc import DaemonProcess, wins_json
from tests.hours import ANY_HOUR, at_any_hour
from tests.receiver import Receiver


@pytest.fixture
def journal_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> Path:
    root = tmp_path / "smallwins-home"
    root.mkdir()
    monkeypatch.setenv("SMALLWINS_HOME", str(root))
    monkeypatch.delenv("SMALLWINS_CONFIG", raising=False)
    monkeypatch.delenv("SMALLWINS_LOAD_PLUGINS", raising=False)
    at_any_hour(monkeypatch)
    # No [sources.journal]: the journal is there anyway. Quiet hours off: a test at night.
    (root / "config.toml").write_text(
        f'timezone = "UTC"\n[notify]\nurls = ["{receiver.url}"]\ncoalesce_seconds = 0\n'
        'quiet_hours = ""\n'
    )
    return root


@pytest.fixture
def daemons(journal_home: Path) -> Iterator[list[DaemonProcess]]:
    started: list[DaemonProcess] = []
    yield started
    for proc in started:
        proc.close()


def told_of(receiver: Receiver, text: str, timeout: float = 5.0) -> dict[str, object]:
    """The first message that speaks of ``text``, waited for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(receiver.messages):
            if text in str(message["message"]):
                return message
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not told: {[m['message'] for m in receiver.messages]}")


def done(*args: str) -> str:
    ran = smallwins("done", *args, env=dict(os.environ))
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


def test_done_with_the_daemon_stopped_then_running_is_told_once_each(
    journal_home: Path, tmp_path: Path, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    printed = done("Figured out the flaky test", "--tag", "work")
    assert "Figured out the flaky test" in printed
    assert receiver.messages == []  # no daemon: printed here, told at the next start

    proc = DaemonProcess(journal_home, tmp_path)
    daemons.append(proc)
    proc.wait_ready()
    told_of(receiver, "Figured out the flaky test")

    made = time.time()
    done("Called the plumber", "--value", "5", "--unit", "min")
    plumber = told_of(receiver, "Called the plumber")
    assert float(plumber["received_at"]) - made < 3.0  # type: ignore[arg-type]

    # An editor's atomic save: a new line written to a temp file renamed over the journal.
    journal = journal_home / "data" / "journal.md"
    temp = journal.with_name(".journal.md.tmp")
    temp.write_text(journal.read_text() + "- Went for a walk #walk\n")
    os.replace(temp, journal)
    told_of(receiver, "Went for a walk")

    time.sleep(1.5)
    messages = " ".join(str(m["message"]) for m in receiver.messages)
    for title in ("Figured out the flaky test", "Called the plumber", "Went for a walk"):
        assert messages.count(title) == 1, messages
    assert proc.stop() == 0
    wins = wins_json()
    assert sorted(w["title"] for w in wins) == [
        "Called the plumber",
        "Figured out the flaky test",
        "Went for a walk",
    ]
    assert {w["source"] for w in wins} == {"journal"}


def test_undo_takes_back_the_last_win_and_bad_input_records_nothing(journal_home: Path) -> None:
    done("Wrote the report")
    done("Oops, not this one")
    ran = smallwins("undo", env=dict(os.environ))
    assert ran.returncode == 0, ran.stderr
    assert "Oops, not this one" in ran.stdout and "line 2" in ran.stdout
    assert [w["title"] for w in wins_json()] == ["Wrote the report"]
    for args, says in [
        (("",), "needs a few words"),
        (("x", "--at", "2999-01-01T10:00"), "in the future"),
        (("y" * 10_000,), "too long"),
        (("z", "--source", "nowhere"), "no source 'nowhere'"),
    ]:
        ran = smallwins("done", *args, env=dict(os.environ))
        assert ran.returncode != 0 and says in ran.stderr, (args, ran.stderr)
    assert [w["title"] for w in wins_json()] == ["Wrote the report"]


def test_a_goal_counts_journal_wins_by_tag_beside_other_sources(
    journal_home: Path, receiver: Receiver, tmp_path: Path
) -> None:
    config = journal_home / "config.toml"
    config.write_text(
        config.read_text()
        + f'[sources.code]\ndetector = "git"\nrepos = ["{tmp_path}/*"]\n'
        + '[goals.workouts]\nsources = ["journal"]\ntags = ["workout"]\nper = "week"\n'
        + "target = 3\n"
    )
    # The coach speaks of a hand-written win in its own words.
    assert "your 1st win of your own today" in done("Walked the dog")
    done("Ran 5 km", "--tag", "workout")
    done("Swam", "--tag", "workout")
    assert "3 of 3 this week" in done("Lifted", "--tag", "workout")

    # A goal naming a source there is not is still caught, with the sources named.
    config.write_text(config.read_text().replace('sources = ["journal"]', 'sources = ["jornal"]'))
    ran = smallwins("done", "Stretched", env=dict(os.environ))
    assert ran.returncode == 78
    assert "goals.workouts.sources: no source 'jornal' (the sources: code, journal)" in ran.stderr
    # A config error is said as such, not as a command that does not exist.
    config.write_text(config.read_text() + "bad_key = 1\n")
    ran = smallwins("done", "Stretched", env=dict(os.environ))
    assert ran.returncode == 78 and "bad_key" in ran.stderr and "No such command" not in ran.stderr


def test_done_loads_the_plugins_once_and_imports_nothing_it_does_not_need(
    journal_home: Path, tmp_path: Path
) -> None:
    calendar = tmp_path / "life.ics"
    calendar.write_text("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nEND:VCALENDAR\n")
    config = journal_home / "config.toml"
    config.write_text(
        config.read_text()
        + f'[sources.code]\ndetector = "git"\nrepos = ["{tmp_path}/*"]\n'
        + f'[sources.life]\ndetector = "calendar"\npath = "{calendar}"\nevents = ["Gym*"]\n'
    )
    done("Warmed up")  # the journal's first scan
    # Started in a repository, with a git that notes each time it runs: with a config, the
    # git plugin's offer for the folder is not wanted, so git is not asked about it.
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    calls = tmp_path / "git-calls"
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {shutil.which("git")} "$@"\n')
    wrapper.chmod(0o755)
    path = f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"
    # As for most people, no SMALLWINS_ variable sets a key: the tests' ANY_HOUR ones left out.
    env = {k: v for k, v in os.environ.items() if k == "TZ" or k not in ANY_HOUR}
    ran = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "smallwins", "done", "Stretched"],
        capture_output=True,
        text=True,
        env={**env, "SMALLWINS_TRACE_PLUGINS": "1", "PATH": path},
        cwd=repo,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    imported = set(re.findall(r"\|\s+(\S+)$", ran.stderr, re.M))
    heavy = {"apprise", "icalendar", "recurring_ical_events", "pygit2", "watchfiles", "jeepney"}
    assert {name.split(".")[0] for name in imported} & heavy == set()
    assert not [name for name in imported if name.startswith("smallwins.daemon")]
    # Read only when a SMALLWINS_ variable sets a key; the readers of exports only by a scan.
    assert not [name for name in imported if name.startswith("pydantic_settings")]
    assert "smallwins_plugins.calendar.files" not in imported
    assert "smallwins_plugins.meditation.detect" not in imported
    assert ran.stderr.count("[trace] register_detectors journal") == 1
    assert not calls.exists(), calls.read_text()


def test_a_private_win_is_celebrated_without_its_title(
    journal_home: Path, tmp_path: Path, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    done("Started the journal")
    printed = done("Therapy session", "--private", "--tag", "health")
    assert "Therapy session" not in printed  # the words sent are the words printed
    proc = DaemonProcess(journal_home, tmp_path)
    daemons.append(proc)
    proc.wait_ready()
    told_of(receiver, "win of your own")
    done("Couples counselling", "--private")
    deadline = time.monotonic() + 5
    while len(receiver.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    assert proc.stop() == 0
    sent = " ".join(str(m["title"]) + str(m["message"]) for m in receiver.messages)
    assert len(receiver.messages) >= 2, sent
    assert "Therapy" not in sent and "counselling" not in sent, sent
    journal = (journal_home / "data" / "journal.md").read_text()
    assert "Therapy session #health #private" in journal
    wins = {w["title"]: w for w in wins_json()}
    assert wins["Couples counselling"]["tags"] == ["private"]
