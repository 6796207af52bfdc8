"""End to end: wins POSTed to the daemon's inbox by a real HTTP client reach the journal and a
real Apprise receiver once each; every bad request is refused with what to fix."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import smallwins
from tests.daemon_proc import DaemonProcess, wins_json
from tests.hours import at_any_hour
from tests.plugins.test_journal_daemon import told_of
from tests.receiver import Receiver

TOKEN = "correct-horse-battery-staple-42"


def write_config(root: Path, receiver: Receiver, inbox: str) -> None:
    (root / "config.toml").write_text(
        f'timezone = "UTC"\n[notify]\nurls = ["{receiver.url}"]\ncoalesce_seconds = 0\n'
        f'quiet_hours = ""\n[inbox]\n{inbox}\n'
    )


@pytest.fixture
def inbox_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> Path:
    root = tmp_path / "smallwins-home"
    root.mkdir()
    monkeypatch.setenv("SMALLWINS_HOME", str(root))
    monkeypatch.delenv("SMALLWINS_CONFIG", raising=False)
    monkeypatch.delenv("SMALLWINS_LOAD_PLUGINS", raising=False)
    at_any_hour(monkeypatch)
    monkeypatch.setenv("SMALLWINS_INBOX_TOKEN", TOKEN)
    write_config(
        root, receiver, 'listen = "127.0.0.1:0"\ntoken = { env = "SMALLWINS_INBOX_TOKEN" }'
    )
    return root


@pytest.fixture
def inbox(inbox_home: Path, tmp_path: Path) -> Iterator[tuple[DaemonProcess, str]]:
    proc = DaemonProcess(inbox_home, tmp_path, "-v")
    try:
        yield proc, started(proc)
    finally:
        proc.close()


def started(proc: DaemonProcess) -> str:
    """The inbox's URL, once it listens and the journal has had its first scan."""
    proc.wait_for_log("/wins to record a win")
    found = re.search(r"POST (\S+/wins)", proc.stderr)
    assert found, proc.stderr
    proc.wait_for_log("source journal: scanned")
    return found.group(1)


def post(
    url: str,
    body: bytes,
    *,
    token: str | None = TOKEN,
    content_type: str = "application/json",
    method: str = "POST",
    context: ssl.SSLContext | None = None,
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def as_json(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields).encode()


def test_a_posted_win_is_in_the_journal_and_told_once(
    inbox: tuple[DaemonProcess, str], inbox_home: Path, receiver: Receiver
) -> None:
    proc, url = inbox
    made = time.time()
    status, answer = post(
        url, as_json({"title": "Ran 5 km", "tags": ["workout"], "value": 20, "unit": "min"})
    )
    assert status == 201, answer
    assert answer["recorded"]["source"] == "journal"
    told = told_of(receiver, "Ran 5 km")
    assert float(told["received_at"]) - made < 3.0  # type: ignore[arg-type]

    status, answer = post(
        url, b"title=Fixed+the+sink&tag=home", content_type="application/x-www-form-urlencoded"
    )
    assert status == 201, answer
    told_of(receiver, "Fixed the sink")

    told = len(receiver.messages)
    status, answer = post(url, as_json({"title": "Saw the doctor", "private": True}))
    assert status == 201, answer
    deadline = time.monotonic() + 5
    while len(receiver.messages) == told and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.messages) > told  # told, without its title

    time.sleep(1.5)
    messages = " ".join(str(m["message"]) for m in receiver.messages)
    assert messages.count("Ran 5 km") == 1 and messages.count("Fixed the sink") == 1, messages
    assert "doctor" not in messages + " ".join(str(m["title"]) for m in receiver.messages)
    journal = (inbox_home / "data" / "journal.md").read_text()
    assert "Ran 5 km #workout [value:: 20 min]" in journal
    assert "Fixed the sink #home" in journal
    assert "Saw the doctor #private" in journal
    assert proc.stop() == 0  # SIGTERM ends the inbox with the daemon
    assert TOKEN not in proc.stderr
    wins = {w["title"]: w for w in wins_json()}
    assert wins["Ran 5 km"]["tags"] == ["workout"] and wins["Ran 5 km"]["value"] == 20
    assert wins["Fixed the sink"]["source"] == "journal"


def test_every_bad_request_is_refused_with_what_to_fix_and_records_nothing(
    inbox_home: Path, tmp_path: Path, receiver: Receiver
) -> None:
    write_config(
        inbox_home,
        receiver,
        'listen = "127.0.0.1:0"\ntoken = { env = "SMALLWINS_INBOX_TOKEN" }\nper_minute = 600',
    )
    proc = DaemonProcess(inbox_home, tmp_path, "-v")
    try:
        refused_with_what_to_fix(proc, started(proc), inbox_home)
    finally:
        proc.close()


def refused_with_what_to_fix(proc: DaemonProcess, url: str, inbox_home: Path) -> None:
    good = as_json({"title": "Not to be recorded"})
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"body": good, "token": None}, 401, "Authorization: Bearer"),
        ({"body": good, "token": "wrong-token-wrong-token"}, 401, "not the inbox's"),
        ({"body": good, "content_type": "text/plain"}, 415, "application/json"),
        ({"body": b"{not json"}, 400, "not JSON"),
        ({"body": b"[1, 2]"}, 400, "JSON object"),
        ({"body": as_json({"tags": ["x"]})}, 400, '"title"'),
        ({"body": as_json({"title": "   "})}, 400, '"title"'),
        ({"body": as_json({"title": "a", "colour": "red"})}, 400, "unknown field 'colour'"),
        ({"body": as_json({"title": "a", "value": "lots"})}, 400, '"value"'),
        ({"body": as_json({"title": "a", "unit": "min"})}, 400, '"unit" needs "value"'),
        ({"body": as_json({"title": "a", "tags": "1x"})}, 422, "tag '1x'"),
        ({"body": as_json({"title": "y" * 5000})}, 422, "too long for one line"),
        ({"body": as_json({"title": "y" * 20_000})}, 413, "at most 16384"),
        ({"body": as_json({"title": "a", "tags": [1]})}, 400, '"tags"'),
        ({"body": as_json({"title": "a", "private": "maybe"})}, 400, '"private"'),
        ({"body": good, "method": "PUT"}, 405, "POST /wins"),
    ]
    for kwargs, status, says in cases:
        got, answer = post(url, **kwargs)
        assert (got, says in answer.get("error", "")) == (status, True), (kwargs, got, answer)
    got, answer = post(f"{url}?token={TOKEN}", good, token=None)  # the token goes in the header
    assert got == 401
    got, answer = post(url.replace("/wins", "/other"), good)
    assert got == 404 and "POST /wins" in answer["error"]

    # 10 MB announced: refused from the headers, before the body is read.
    host, port = url.split("//")[1].split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", "/wins")
    connection.putheader("Authorization", f"Bearer {TOKEN}")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(10 * 1024 * 1024))
    connection.endheaders()
    connection.send(b'{"title": "' + b"x" * 60_000)
    answer = connection.getresponse()
    assert answer.status == 413 and "at most 16384" in json.loads(answer.read())["error"]
    connection.close()

    assert proc.stop() == 0
    assert TOKEN not in proc.stderr
    assert (
        not (inbox_home / "data" / "journal.md").exists()
        or "Not to be recorded" not in (inbox_home / "data" / "journal.md").read_text()
    )
    assert wins_json() == []


def test_a_thousand_posts_in_a_second_are_mostly_turned_away_and_none_twice(
    inbox: tuple[DaemonProcess, str], receiver: Receiver
) -> None:
    proc, url = inbox

    def send(number: int) -> tuple[int, str]:
        title = f"Push-up set {number}"
        try:
            status, _ = post(url, as_json({"title": title}))
        except OSError:  # every connection busy: turned away before a thread is given
            status = 0
        return status, title

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(send, range(1000)))
    statuses = Counter(status for status, _ in results)
    accepted = [title for status, title in results if status == 201]
    assert statuses[429] > 900, statuses
    assert 1 <= len(accepted) < 50, statuses
    assert set(statuses) <= {201, 429, 0}, statuses
    # A burst is told as one message naming some of its wins: each at most once.
    told_of(receiver, "wins of your own just landed", timeout=10)
    time.sleep(1.5)
    messages = " ".join(str(m["message"]) for m in receiver.messages)
    assert all(messages.count(f"{title}\u201d") <= 1 for title in accepted), messages
    assert proc.stop() == 0
    recorded = [w["title"] for w in wins_json()]
    assert sorted(recorded) == sorted(accepted)


def test_tls_off_the_loopback_and_a_config_that_is_not_safe(
    inbox_home: Path, tmp_path: Path, receiver: Receiver
) -> None:
    token = 'token = { env = "SMALLWINS_INBOX_TOKEN" }'
    for inbox, says in [
        ('listen = "0.0.0.0:8765"\n' + token, "allow_plain_http = true"),
        ('listen = "127.0.0.1:8765"\ntoken = "short"', "at least 16 characters"),
        ('listen = "127.0.0.1:8765"\ntoken = { env = "NOT_SET_HERE" }', "NOT_SET_HERE"),
        ('listen = "8765"\n' + token, "127.0.0.1:8765"),
        ('listen = "127.0.0.1:8765"\nsource = "nowhere"\n' + token, "no source 'nowhere'"),
    ]:
        write_config(inbox_home, receiver, inbox)
        for command in ("run", "check-config"):
            ran = smallwins(command, env=dict(os.environ), timeout=60)
            assert ran.returncode == 78 and "inbox" in ran.stderr and says in ran.stderr, (
                command,
                inbox,
                ran.stderr,
            )

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    write_config(
        inbox_home, receiver, f'listen = "127.0.0.1:0"\n{token}\ncert = "{cert}"\nkey = "{key}"'
    )
    proc = DaemonProcess(inbox_home, tmp_path, "-v")
    try:
        url = started(proc)
        assert url.startswith("https://")
        context = ssl.create_default_context(cafile=str(cert))
        status, answer = post(url, as_json({"title": "Sent over TLS"}), context=context)
        assert status == 201, answer
        told_of(receiver, "Sent over TLS")
        assert proc.stop() == 0
    finally:
        proc.close()


def test_a_reload_with_a_new_token_restarts_the_inbox(
    inbox: tuple[DaemonProcess, str], inbox_home: Path, receiver: Receiver
) -> None:
    proc, _ = inbox
    new = "a-new-token-for-the-inbox-0123"
    write_config(inbox_home, receiver, f'listen = "127.0.0.1:0"\ntoken = "{new}"')
    before = proc.stderr.count("/wins to record a win")
    os.kill(proc.proc.pid, signal.SIGHUP)
    deadline = time.monotonic() + 10
    while proc.stderr.count("/wins to record a win") == before and time.monotonic() < deadline:
        time.sleep(0.05)
    url = re.findall(r"POST (\S+/wins)", proc.stderr)[-1]
    assert post(url, as_json({"title": "Old token"}))[0] == 401
    assert post(url, as_json({"title": "New token"}), token=new)[0] == 201
    told_of(receiver, "New token")
    assert proc.stop() == 0
    assert new not in proc.stderr and TOKEN not in proc.stderr


def test_clients_that_trickle_their_requests_are_cut_off_and_the_inbox_answers_again(
    inbox: tuple[DaemonProcess, str], receiver: Receiver
) -> None:
    """More slow clients than the inbox has threads, each sending a byte of its headers a
    second (so no single read waits long): each is cut off once its request has taken the
    inbox's read timeout, and a good POST then goes through."""
    from smallwins.daemon.inbox import MAX_CONNECTIONS, READ_TIMEOUT

    _, url = inbox
    host, port = url.split("//")[1].split("/")[0].split(":")
    trickling = [socket.create_connection((host, int(port))) for _ in range(MAX_CONNECTIONS)]
    for client in trickling:
        client.sendall(b"POST /wins HTTP/1.1\r\nX-Slow: ")
    cut: set[int] = set()
    started_at = time.monotonic()
    while len(cut) < len(trickling) and time.monotonic() - started_at < READ_TIMEOUT + 10:
        for index, client in enumerate(trickling):
            if index in cut:
                continue
            try:
                client.sendall(b"a")
                client.setblocking(False)
                if client.recv(1) == b"":
                    cut.add(index)
            except BlockingIOError:
                pass
            except OSError:
                cut.add(index)
            finally:
                client.setblocking(True)
        time.sleep(1)
    for client in trickling:
        client.close()
    assert len(cut) == len(trickling), f"{len(trickling) - len(cut)} still held"
    assert time.monotonic() - started_at >= READ_TIMEOUT - 1
    got, answer = post(url, as_json({"title": "Got through"}))
    assert got == 201, answer
    told_of(receiver, "Got through")
