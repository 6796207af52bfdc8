"""Text from sources is shown, never executed: control characters never reach a terminal,
a notification or the log.

Promise (docs/reliability.md, "Text from sources is shown, never executed"): C0 but newline
and tab, DEL and C1 are written out (as ``\\u001b``) where the command line writes
(src/smallwins/cli/terminal.py) and where a message leaves for its target
(``Notifier.send``). The attacks are the three of a hostile commit subject: a colour, a
window title set by OSC, and a cleared screen; the calendar line adds BEL and BS.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from smallwins.testing import run_cli
from tests.conftest import Repo
from tests.receiver import Receiver

SUBJECTS = ["\x1b[31mRed alert", "Title \x1b]0;PWNED-TITLE\x07set", "Wiped \x1b[2Jscreen"]
RAW = ("\x1b", "\x07", "\x08", "\x7f", "\x9b")


def _clean(text: str) -> bool:
    return not any(char in text for char in RAW)


def _config(home: Path, repo: Repo, extra: str = "") -> None:
    (home / "config.toml").write_text(
        f"""
timezone = "UTC"
{extra}
[sources.code]
detector = "git"
repos = ["{repo.path}"]
"""
    )


def test_wins_shows_hostile_subjects_written_out(home: Path, repo: Repo) -> None:
    for subject in SUBJECTS:
        repo.commit(subject)
    _config(home, repo)
    scanned = run_cli("run", "--once", home=home)
    assert scanned.returncode == 0, scanned.stderr

    listed = run_cli("wins", home=home)

    assert listed.returncode == 0, listed.stderr
    assert _clean(listed.stdout), listed.stdout
    # Into a pipe click strips colours and the like itself (CSI); the title (OSC) is ours.
    assert "\\u001b]0;PWNED-TITLE\\u0007set" in listed.stdout
    # JSON keeps the subject exactly: the escape written out is JSON's own.
    as_json = run_cli("wins", "--json", home=home)
    assert sorted(w["title"] for w in json.loads(as_json.stdout)) == sorted(SUBJECTS)


def test_wins_on_a_real_terminal(home: Path, repo: Repo) -> None:
    for subject in SUBJECTS:
        repo.commit(subject)
    _config(home, repo)
    assert run_cli("run", "--once", home=home).returncode == 0
    # On a terminal click strips no OSC and no CSI: the terminal would act on them.
    leader, follower = pty.openpty()
    env = {**os.environ, "SMALLWINS_HOME": str(home), "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "smallwins", "wins"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=30) == 0
    os.close(leader)
    shown = seen.decode()
    assert _clean(shown), shown
    for written_out in ("\\u001b[31mRed", "\\u001b]0;PWNED-TITLE\\u0007", "\\u001b[2Jscreen"):
        assert written_out in shown


def test_notifications_carry_no_control_characters(
    home: Path, repo: Repo, receiver: Receiver
) -> None:
    repo.commit("Before")
    _config(
        home,
        repo,
        f'[notify]\nurls = ["{receiver.url}"]\ncoalesce_seconds = 0\nquiet_hours = ""\n',
    )
    assert run_cli("run", "--once", home=home).returncode == 0
    receiver.wait_for(1)
    for subject in SUBJECTS:
        repo.commit(subject)

    done = run_cli("run", "--once", home=home)

    assert done.returncode == 0, done.stderr
    messages = receiver.wait_for(2)
    told = [m for m in messages if "PWNED-TITLE" in m["message"] + m["title"]]
    assert told, messages
    for message in messages:
        assert _clean(message["title"]) and _clean(message["message"]), message


BROKEN_LINE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\n"
    "DTSTART;;\x1b]0;PWNED-TITLE\x07\x1b[2J\x08:20250101T100000Z\r\nSUMMARY:Gym\r\n"
    "END:VEVENT\r\n"
)


def test_the_log_and_status_show_a_hostile_problem_written_out(home: Path, tmp_path: Path) -> None:
    calendar = tmp_path / "hostile.ics"
    calendar.write_text(BROKEN_LINE, newline="")
    (home / "config.toml").write_text(
        f'[sources.life]\ndetector = "calendar"\npath = "{calendar}"\nevents = ["Gym"]\n'
    )

    done = run_cli("run", "--once", home=home)
    status = run_cli("status", home=home)

    assert done.returncode == 0, done.stderr
    assert "PWNED-TITLE" in done.stderr and _clean(done.stderr), done.stderr
    assert "PWNED-TITLE" in status.stdout and _clean(status.stdout), status.stdout
