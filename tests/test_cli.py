"""The command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli_run import smallwins
from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess
from tests.receiver import Receiver
from tests.test_service import WORKING_SYSTEMCTL, systemctl_env


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def test_init_offers_the_repositories_inside_the_folder(home: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    Repo(work / "one").commit()
    Repo(work / "two").commit()
    done = smallwins("init", cwd=work, env=env())
    assert done.returncode == 0, done.stderr
    assert f"watching {work}/* for commits" in done.stdout
    data = tomllib.loads((home / "config.toml").read_text())
    assert data["sources"]["code"] == {
        "detector": "git",
        "repos": [f"{work}/*"],
        "authors": ["me@example.com"],
    }
    assert smallwins("check-config", cwd=work, env=env()).returncode == 0


def test_init_in_a_folder_of_repositories_counts_each_ones_own_author(
    home: Path, tmp_path: Path
) -> None:
    """Each repository sets its own user.email; the global one (in the isolated HOME's
    .gitconfig) is another address."""
    (Path(os.environ["HOME"]) / ".gitconfig").write_text(
        "[user]\n\temail = Me@Home.example\n\tname = Me\n"
    )
    isolated = env()
    work = tmp_path / "work"
    Repo(work / "job", email="me@work.example").commit("At work")
    Repo(work / "side", email="me@side.example").commit("On the side")
    mine = Repo(work / "mine")
    mine.git("config", "--unset", "user.email")  # commits by the global address
    mine.commit("My own")

    done = smallwins("init", cwd=work, env=isolated)
    assert done.returncode == 0, done.stderr
    authors = tomllib.loads((home / "config.toml").read_text())["sources"]["code"]["authors"]
    assert authors == ["me@home.example", "me@side.example", "me@work.example"]
    assert "me@work.example" in done.stdout

    assert smallwins("run", "--once", cwd=work, env=isolated).returncode == 0
    wins = json.loads(smallwins("wins", "--json", env=isolated).stdout)
    assert sorted(win["title"] for win in wins) == ["At work", "My own", "On the side"]


def test_init_where_nothing_is_found_writes_a_guess_to_edit(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = smallwins("init", cwd=empty, env=env())
    assert done.returncode == 0, done.stderr
    assert "not inside a git repository" in done.stdout and "a guess to edit" in done.stdout
    data = tomllib.loads((home / "config.toml").read_text())
    assert data["sources"]["code"]["repos"] == ["~/src/*"]


def test_init_writes_a_config_that_loads_and_never_overwrites(home: Path, repo: Repo) -> None:
    repo.commit()
    done = smallwins("init", cwd=repo.path, env=env())
    assert done.returncode == 0, done.stderr
    config = home / "config.toml"
    text = config.read_text()
    assert text.startswith("# smallwins configuration")
    data = tomllib.loads(text)
    assert data["sources"]["code"]["authors"] == ["me@example.com"]
    assert data["sources"]["code"]["detector"] == "git"
    assert data["notify"]["quiet_hours"] == "22:00-07:30"  # coaching waits for the morning
    # The ledger is shown in its URL form, ready to uncomment.
    uncommented = text.replace("# [ledger]", "[ledger]").replace("# url = ", "url = ")
    assert tomllib.loads(uncommented)["ledger"]["url"].startswith("sqlite:///~/")
    assert smallwins("check-config", cwd=repo.path, env=env()).returncode == 0
    config.write_text("# mine\n")
    again = smallwins("init", cwd=repo.path, env=env())
    assert again.returncode == 1 and "--force" in again.stderr
    assert config.read_text() == "# mine\n"
    assert smallwins("init", "--force", cwd=repo.path, env=env()).returncode == 0
    assert config.read_text() != "# mine\n"


def test_wins_status_and_plugins_json_without_a_daemon(home: Path, repo: Repo) -> None:
    first = repo.commit("First thing")
    (home / "config.toml").write_text(
        f'[sources.code]\ndetector = "git"\nrepos = ["{repo.path}"]\n'
    )
    assert smallwins("wins", "--json", env=env()).stdout.strip() == "[]"
    assert smallwins("run", "--once", env=env()).returncode == 0
    (win,) = json.loads(smallwins("wins", "--json", env=env()).stdout)
    assert win["key"] == first
    assert win["source"] == "code" and win["detector"] == "git" and win["kind"] == "commit"
    assert win["title"] == "First thing"
    assert win["occurred_at"].endswith("+00:00") and len(win["day"]) == 10
    assert win["value"] == 1 and win["unit"] == "" and "git" in win["tags"]
    assert json.loads(smallwins("wins", "--json", "--source", "nope", env=env()).stdout) == []
    assert len(json.loads(smallwins("wins", "--json", "--since", "1d", env=env()).stdout)) == 1
    bad = smallwins("wins", "--since", "yesterday-ish", env=env())
    assert bad.returncode == 2 and "7d" in bad.stderr

    report = json.loads(smallwins("status", "--json", env=env()).stdout)
    assert report["running"] is False and report["pid"] is None
    code = report["sources"]["code"]
    assert code["wins"] == 1 and code["last_error"] is None and code["last_scan"]
    assert report["outbox"] == {"pending": 0, "failed": 0}
    assert "daemon: not running" in smallwins("status", env=env()).stdout

    plugins = json.loads(smallwins("plugins", "--json", env=env()).stdout)
    assert {"name": "git", "detectors": ["git"], "rules": [], "error": None} in plugins
    coaching = next(row for row in plugins if row["name"] == "coaching")
    assert "streaks" in coaching["rules"] and coaching["detectors"] == []


def test_run_once_without_urls_imports_no_apprise_or_calendar_library(
    home: Path, repo: Repo
) -> None:
    repo.commit("First thing")
    (home / "config.toml").write_text(
        f'[sources.code]\ndetector = "git"\nrepos = ["{repo.path}"]\n'
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "smallwins", "run", "--once"],
        capture_output=True,
        text=True,
        env=env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Found 1 past commit" in done.stdout  # the summary, printed in the terminal
    imported = {name.split(".")[0] for name in re.findall(r"\|\s+(\S+)$", done.stderr, re.M)}
    assert "smallwins_plugins" in imported
    assert (
        imported & {"apprise", "icalendar", "recurring_ical_events", "pygit2", "jeepney"} == set()
    )


def test_a_failing_source_shows_in_status(home: Path, tmp_path: Path) -> None:
    (home / "config.toml").write_text(
        f'[sources.code]\ndetector = "git"\nrepos = ["{tmp_path / "missing"}"]\n'
    )
    done = smallwins("run", "--once", env=env())
    assert done.returncode == 1
    assert "missing" in done.stderr and "Traceback" not in done.stderr
    report = json.loads(smallwins("status", "--json", env=env()).stdout)
    assert "does not exist" in report["sources"]["code"]["last_error"]


def test_notify_test_reports_each_target(home: Path, receiver: Receiver) -> None:
    (home / "config.toml").write_text(
        f'[notify]\nurls = ["{receiver.url}", "json://127.0.0.1:9/nothing-here"]\n'
    )
    done = smallwins("notify", "test", env=env())
    assert done.returncode == 1
    assert "target-1 (json://): ok" in done.stdout
    assert "target-2 (json://): FAILED" in done.stdout
    (message,) = receiver.wait_for(1)
    assert message["type"] == "success" and "smallwins" in message["title"]


def test_notify_test_names_the_desktop_fix(home: Path, tmp_path: Path) -> None:
    (home / "config.toml").write_text('[notify]\nurls = ["glib://"]\n')
    # An empty PYTHONPATH-only world where gi cannot be imported.
    done = smallwins("notify", "test", env=env(PYTHONNOUSERSITE="1"))
    try:
        import gi  # noqa: F401
    except ImportError:
        assert done.returncode == 1
        assert "smallwins[desktop]" in done.stdout
    else:
        pytest.skip("PyGObject is installed here, so glib:// loads")


def test_service_install_print_and_write(home: Path, tmp_path: Path) -> None:
    shown = smallwins("service", "install", "--print", env=env())
    assert shown.returncode == 0
    unit = shown.stdout
    for line in (
        "Type=notify",
        "Restart=on-failure",
        "RestartSec=5",
        "RestartPreventExitStatus=75 78",
        "WatchdogSec=",
        "ExecReload=/bin/kill -HUP $MAINPID",
        f"Environment=SMALLWINS_HOME={home}",
    ):
        assert line in unit
    assert "-m smallwins run" in unit
    xdg = tmp_path / "xdg"
    # The stand-in systemctl of tests/test_service.py: no user manager runs here.
    written = smallwins("service", "install", env=systemctl_env(tmp_path, WORKING_SYSTEMCTL))
    assert written.returncode == 0, written.stderr
    assert (xdg / "systemd" / "user" / "smallwins.service").read_text() == unit
    assert "systemctl --user start smallwins.service" in written.stdout
    assert "journalctl --user -u smallwins.service" in written.stdout


def test_sd_notify_ready_watchdog_reloading_stopping(
    home: Path, repo: Repo, tmp_path: Path
) -> None:
    repo.commit()
    (home / "config.toml").write_text(
        f'[sources.code]\ndetector = "git"\nrepos = ["{repo.path}"]\n'
    )
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        sock.settimeout(10)
        daemon = DaemonProcess(
            home, repo.path, env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "400000"}
        )
        try:
            seen: list[str] = []

            def expect(word: str) -> None:
                while not any(word in m for m in seen):
                    seen.append(sock.recv(4096).decode())

            expect("READY=1")
            expect("WATCHDOG=1")
            daemon.proc.send_signal(1)  # SIGHUP
            expect("RELOADING=1")
            daemon.proc.send_signal(15)
            expect("STOPPING=1")
            assert daemon.proc.wait(10) == 0
        finally:
            daemon.close()


def test_trace_plugins_prints_hook_calls(home: Path) -> None:
    done = smallwins("plugins", env=env(SMALLWINS_TRACE_PLUGINS="1"))
    assert "[trace] register_detectors git" in done.stderr


def test_help_lists_every_command() -> None:
    out = smallwins("--help").stdout
    for name in ("init", "run", "status", "wins", "plugins", "notify", "check-config", "service"):
        assert name in out


def test_status_shows_the_spool_while_the_shared_ledger_s_server_is_away(home: Path) -> None:
    from datetime import time as dtime
    from zoneinfo import ZoneInfo

    from smallwins import Win
    from smallwins.ledger import open_ledger, sqlite_url

    with socket.socket() as probe:  # a port nothing listens on: the server is away
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (home / "config.toml").write_text(
        f'[ledger]\nurl = "postgresql://me@127.0.0.1:{port}/smallwins?connect_timeout=2"\n'
    )
    spool = home / "state" / "spool.sqlite3"
    spool.parent.mkdir(parents=True)
    now = datetime.now(UTC)
    with open_ledger(sqlite_url(spool)) as ledger:  # what the daemon records there meanwhile
        wins = [Win(f"k{n}", f"win {n}", now) for n in range(3)]
        ledger.record("code", "git", wins, None, zone=ZoneInfo("UTC"), day_starts_at=dtime(4))
    done = smallwins("status", "--json", env=env())
    # The server is away, not the config wrong: exit 1, as every command that reads it.
    assert done.returncode == 1 and "cannot be reached" in done.stderr
    assert json.loads(done.stdout)["config_error"] is None
    assert "cannot be reached" in json.loads(done.stdout)["ledger_unreachable"]
    assert json.loads(done.stdout)["spool"] == {"path": str(spool), "wins": 3, "error": None}
    said = smallwins("status", env=env()).stdout
    assert "(invalid" not in said and "not answering" in said
    assert "spool: 3 wins recorded on this machine while the server was away" in said
    spool.unlink()
    assert json.loads(smallwins("status", "--json", env=env()).stdout)["spool"] is None
