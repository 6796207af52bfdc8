"""End to end: the daemon as a subprocess, a real repository, a real HTTP receiver."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_run import smallwins
from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess, status_json, wins_json
from tests.receiver import Receiver


def write_config(home: Path, repo: Repo, receiver: Receiver, extra: str = "") -> None:
    (home / "config.toml").write_text(
        f"""
[notify]
urls = ["{receiver.url}"]
coalesce_seconds = 0.5
retry_initial_seconds = 0.3
retry_max_seconds = 1
{extra}
[sources.code]
detector = "git"
repos = ["{repo.path}"]
"""
    )


@pytest.fixture
def daemons(home: Path, repo: Repo) -> Iterator[list[DaemonProcess]]:
    started: list[DaemonProcess] = []
    yield started
    for proc in started:
        proc.close()


def start(daemons: list[DaemonProcess], home: Path, cwd: Path, *args: str) -> DaemonProcess:
    proc = DaemonProcess(home, cwd, *args)
    daemons.append(proc)
    return proc


def test_a_commit_is_celebrated_and_a_burst_is_one_message(
    home: Path, repo: Repo, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    repo.commit("Old work")
    write_config(home, repo, receiver)
    daemon = start(daemons, home, repo.path)
    daemon.wait_ready()
    (summary,) = receiver.wait_for(1)
    assert "Found 1 past commit" in summary["message"]

    made = time.time()
    repo.commit("Add vdir support")
    messages = receiver.wait_for(2, timeout=5)
    assert len(messages) == 2, daemon.stderr
    assert "Add vdir support" in messages[1]["message"]
    assert messages[1]["type"] == "success"
    assert messages[1]["received_at"] - made < 2.0

    for n in range(5):
        repo.commit(f"Rebased {n}")
    messages = receiver.wait_for(3, timeout=5)
    time.sleep(1.5)  # nothing more arrives: the five were one message
    assert len(receiver.messages) == 3, [m["title"] for m in receiver.messages]
    assert messages[2]["title"].endswith("5 commits in project")
    assert daemon.stop() == 0
    assert len(wins_json()) == 7


def test_first_scan_of_a_long_history_is_one_summary(
    home: Path, repo: Repo, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    script = "".join(
        f"echo {n} > f && git add f && git commit -qm 'Work {n}' && " for n in range(200)
    )
    os.system(f"cd {repo.path} && {script} true")
    write_config(home, repo, receiver)
    daemon = start(daemons, home, repo.path)
    daemon.wait_ready()
    receiver.wait_for(1)
    time.sleep(1.5)
    assert len(receiver.messages) == 1
    assert "Found 200 past commits" in receiver.messages[0]["message"]
    assert daemon.stop() == 0


def test_kill_9_and_restart_lose_and_repeat_nothing(
    home: Path, repo: Repo, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    repo.commit("Before")
    write_config(home, repo, receiver)
    daemon = start(daemons, home, repo.path)
    daemon.wait_ready()
    receiver.wait_for(1)
    repo.commit("During")
    receiver.wait_for(2)
    # The promise allows one duplicate when killed between the endpoint's answer and marking
    # the row sent; kill after that, and nothing may repeat.
    deadline = time.monotonic() + 5
    while status_json()["outbox"]["pending"] and time.monotonic() < deadline:
        time.sleep(0.05)
    daemon.kill9()
    repo.commit("While down")
    again = start(daemons, home, repo.path)
    again.wait_ready()
    messages = receiver.wait_for(3)
    time.sleep(1.5)
    assert [m["message"] for m in receiver.messages].count(messages[2]["message"]) == 1
    assert "While down" in messages[2]["message"]
    assert len(receiver.messages) == 3
    assert again.stop() == 0
    keys = [w["key"] for w in wins_json()]
    assert len(keys) == len(set(keys)) == 3


def test_a_second_daemon_exits_75_naming_the_first(
    home: Path, repo: Repo, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    repo.commit()
    write_config(home, repo, receiver)
    first = start(daemons, home, repo.path)
    first.wait_ready()
    second = smallwins("run", cwd=repo.path, env=dict(os.environ))
    assert second.returncode == 75
    assert f"pid {first.proc.pid}" in second.stderr
    report = status_json()
    assert report["running"] is True and report["pid"] == first.proc.pid
    assert first.stop() == 0
    assert status_json()["running"] is False


def test_endpoint_down_then_up_gets_the_message(
    home: Path, repo: Repo, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    repo.commit()
    write_config(home, repo, receiver)
    daemon = start(daemons, home, repo.path)
    daemon.wait_ready()
    receiver.wait_for(1)
    receiver.mode = "down"
    repo.commit("Landed while the endpoint was down")
    time.sleep(4)
    attempts_while_down = receiver.attempts - 1
    assert 1 <= attempts_while_down <= 8, attempts_while_down  # backoff, not a busy loop
    assert status_json()["outbox"]["pending"] == 1
    receiver.mode = "up"
    messages = receiver.wait_for(2, timeout=5)
    assert "Landed while the endpoint was down" in messages[1]["message"]
    assert daemon.stop() == 0


def test_sighup_reloads_and_a_bad_config_keeps_the_old_one(
    home: Path, repo: Repo, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    repo.commit()
    write_config(home, repo, receiver)
    daemon = start(daemons, home, repo.path)
    daemon.wait_ready()
    receiver.wait_for(1)
    (home / "config.toml").write_text("[notify\n")
    daemon.wait_for_log("keeping the old one")
    assert f"{home / 'config.toml'}:1" in daemon.stderr
    repo.commit("Still celebrated")
    assert "Still celebrated" in receiver.wait_for(2)[1]["message"]
    write_config(home, repo, receiver, extra="plain = true")
    daemon.wait_for_log("config reloaded")
    os.kill(daemon.proc.pid, signal.SIGHUP)
    daemon.wait_for_log("SIGHUP: config reloaded")
    repo.commit("Plain now")
    assert receiver.wait_for(3)[2]["title"] == "Small win in project"
    started = time.monotonic()
    assert daemon.stop() == 0
    assert time.monotonic() - started < 5


def test_no_secret_in_debug_logs_or_status(
    home: Path, repo: Repo, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    canary = "CanaryToken7731"
    repo.commit()
    (home / "config.toml").write_text(
        f"""
log_level = "DEBUG"
[notify]
urls = ["json://me:{canary}@127.0.0.1:{receiver.port}/hook/{canary}?+X-Key={canary}",
        "json://127.0.0.1:9/{canary}"]
retry_initial_seconds = 0.2
[sources.code]
detector = "git"
repos = ["{repo.path}"]
"""
    )
    daemon = start(daemons, home, repo.path)
    daemon.wait_ready()
    receiver.wait_for(1)
    repo.commit("Secret-free")
    receiver.wait_for(2)
    time.sleep(1)
    assert daemon.stop() == 0
    done = smallwins("status", "--json", env=dict(os.environ))
    assert "DEBUG" in daemon.stderr and "could not notify" in daemon.stderr
    assert canary not in daemon.stderr
    assert canary not in done.stdout
    ledger = (home / "data" / "ledger.sqlite3").read_bytes()
    assert canary.encode() not in ledger


def test_no_config_watches_the_repository_it_started_in(
    home: Path, repo: Repo, daemons: list[DaemonProcess]
) -> None:
    repo.commit("Past")
    daemon = start(daemons, home, repo.path)
    daemon.wait_ready()
    assert "smallwins init" in daemon.stderr
    assert f"watching {repo.path}" in daemon.stderr
    # The first scan's summary first: a commit made while it reads git log is history.
    deadline = time.monotonic() + 10
    while "past commit" not in daemon.stdout and time.monotonic() < deadline:
        time.sleep(0.05)
    repo.commit("Celebrate me in the terminal")
    deadline = time.monotonic() + 5
    while "Celebrate me" not in daemon.stdout and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Celebrate me in the terminal" in daemon.stdout
    assert daemon.stop(signal.SIGINT) == 0


def test_leaving_out_the_coaching_plugin_is_said_not_silent(home: Path, repo: Repo) -> None:
    repo.commit("Past")
    env = {**os.environ, "SMALLWINS_LOAD_PLUGINS": "git"}
    done = smallwins("run", "--once", cwd=repo.path, env=env)
    assert done.returncode == 0, done.stderr
    assert "no progress rules are loaded" in done.stderr
    assert "plain words" in done.stderr
    assert "1 commit since" in done.stdout  # the first scan is still told, plainly


def test_no_config_and_no_repository_says_so(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = smallwins("run", "--once", cwd=empty, env=dict(os.environ))
    assert done.returncode == 0
    assert "nothing to watch" in done.stderr and "not inside a git repository" in done.stderr


@pytest.mark.parametrize("backend", ["inotify", "watchfiles"])
def test_each_watcher_backend_sees_a_new_branch_folder(
    backend: str, home: Path, repo: Repo, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    repo.commit()
    write_config(home, repo, receiver, extra="")
    config = home / "config.toml"
    config.write_text(f'watcher = "{backend}"\n' + config.read_text())
    daemon = start(daemons, home, repo.path, "-v")
    daemon.wait_ready()
    assert f"with {backend}" in daemon.stderr
    receiver.wait_for(1)
    # refs/heads/feature/ does not exist yet: the watcher must follow the new folder.
    repo.git("checkout", "-q", "-b", "feature/deep")
    repo.commit("On a nested branch")
    messages = receiver.wait_for(2, timeout=5)
    assert "On a nested branch" in messages[1]["message"]
    assert daemon.stop() == 0


def test_amend_rebase_merge_and_worktree_commits(
    home: Path, repo: Repo, receiver: Receiver, daemons: list[DaemonProcess], tmp_path: Path
) -> None:
    repo.commit("Base")
    write_config(home, repo, receiver)
    daemon = start(daemons, home, repo.path)
    daemon.wait_ready()
    receiver.wait_for(1)

    repo.commit("Typo")
    receiver.wait_for(2)
    repo.git("commit", "-q", "--amend", "-m", "Amended subject")
    assert "Amended subject" in receiver.wait_for(3)[2]["message"]

    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("Topic work")
    receiver.wait_for(4)
    repo.git("checkout", "-q", "main")
    repo.commit("Main work")
    receiver.wait_for(5)
    repo.git("checkout", "-q", "topic")
    repo.git("rebase", "-q", "main")
    assert "Topic work" in receiver.wait_for(6)[5]["message"]  # rebased: a new commit
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge topic", "topic")

    linked = tmp_path / "linked"
    repo.git("worktree", "add", "-q", "-b", "side", str(linked))
    (linked / "side.txt").write_text("side\n")
    repo.git("-C", str(linked), "add", "side.txt")
    repo.git("-C", str(linked), "commit", "-q", "-m", "From the worktree")
    messages = receiver.wait_for(7)
    time.sleep(1)
    titles = [m["message"] for m in receiver.messages]
    assert "From the worktree" in messages[6]["message"], titles
    assert not any("Merge topic" in t for t in titles)
    assert len(receiver.messages) == 7
    assert daemon.stop() == 0


def test_a_repository_that_appears_later_is_found_by_the_reconcile_scan(
    home: Path, tmp_path: Path, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    first = Repo(tmp_path / "src" / "one")
    first.commit("One")
    (home / "config.toml").write_text(
        f"""
reconcile_minutes = 0.02
[notify]
urls = ["{receiver.url}"]
coalesce_seconds = 0.2
[sources.code]
detector = "git"
repos = ["{tmp_path / "src"}/*"]
"""
    )
    daemon = start(daemons, home, tmp_path)
    daemon.wait_ready()
    receiver.wait_for(1)
    second = Repo(tmp_path / "src" / "two")
    second.commit("Old work in a new clone")
    messages = receiver.wait_for(2, timeout=10)
    assert "Added 1 earlier commit" in messages[1]["message"]  # history, not news
    second.commit("New work in the new clone")
    assert "New work in the new clone" in receiver.wait_for(3, timeout=5)[2]["message"]
    assert daemon.stop() == 0


def test_kill_9_at_random_points_loses_and_duplicates_nothing(
    home: Path, repo: Repo, receiver: Receiver, daemons: list[DaemonProcess]
) -> None:
    import random

    rng = random.Random(7)
    shas = [repo.commit("Before the first start")]
    write_config(home, repo, receiver)
    for round_ in range(5):
        daemon = start(daemons, home, repo.path)
        if round_ == 0:
            # Once the first scan is recorded (its summary told), commits made while no
            # daemon runs are news to the next one, however slowly a busy machine starts it.
            receiver.wait_for(1)
        for _ in range(rng.randint(1, 4)):
            shas.append(repo.commit())
            time.sleep(rng.uniform(0, 0.3))
        time.sleep(rng.uniform(0, 0.6))
        daemon.kill9()
    final = start(daemons, home, repo.path)
    final.wait_ready()

    def settled() -> bool:
        report = status_json()
        return bool(
            report["outbox"]["pending"] == 0 and report["sources"]["code"]["wins"] == len(shas)
        )

    def wait_settled() -> None:
        deadline = time.monotonic() + 20
        while not settled() and time.monotonic() < deadline:
            time.sleep(0.1)

    wait_settled()
    told = len(receiver.messages)
    shas.append(repo.commit("After the last crash"))
    receiver.wait_for(told + 1)
    wait_settled()
    assert final.stop() == 0
    keys = [w["key"] for w in wins_json()]
    assert sorted(keys) == sorted(shas)  # every commit once: none lost, none twice
    assert status_json()["outbox"] == {"pending": 0, "failed": 0}
    assert "After the last crash" in receiver.messages[told]["message"], [
        m["message"] for m in receiver.messages
    ]
