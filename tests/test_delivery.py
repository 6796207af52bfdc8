from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smallwins.api.moment import Moment
from smallwins.coach.celebration import burst_words
from smallwins.config import NotifySettings
from smallwins.delivery.deliverer import Deliverer
from smallwins.delivery.notify import Notifier
from smallwins.ledger import open_ledger, sqlite_url
from tests.histories import builtin
from tests.receiver import Receiver

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def settings(url: str, **kw: object) -> NotifySettings:
    return NotifySettings.model_validate({"urls": [url], **kw})


def celebration(n: int, group: str | None = "burst:code") -> Moment:
    payload = {
        "source": "code",
        "place": "smallwins",
        "title": f"Commit {n}",
        "noun": "commit",
        "plural": "commits",
        "today": n,
        "private": False,
    }
    return Moment(
        "celebration",
        f"win:code:{n}",
        "Small win in smallwins",
        f"Commit {n}",
        NOW,
        NOW,
        source="code",
        group=group,
        payload=payload,
    )


def deliverer(tmp_path: Path, notify: NotifySettings) -> Deliverer:
    ledger = open_ledger(sqlite_url(tmp_path / "ledger.sqlite3"))
    burst = partial(burst_words, builtin().templates)
    return Deliverer(
        ledger, Notifier(notify.urls), notify, ZoneInfo("UTC"), burst=burst, jitter=lambda: 0.5
    )


def deliver(d: Deliverer, now: datetime) -> None:
    for messages in d.plan(now).values():
        d.deliver_target(messages, now)


def test_a_celebration_reaches_the_endpoint_as_success(tmp_path: Path, receiver: Receiver) -> None:
    d = deliverer(tmp_path, settings(receiver.url))
    d.ledger.add_moment(celebration(1, group=None), ["target-1"])
    deliver(d, NOW)
    (message,) = receiver.wait_for(1)
    assert message["title"] == "🎉 Small win in smallwins"
    assert message["message"] == "Commit 1"
    assert message["type"] == "success"
    assert d.ledger.outbox_counts() == {"pending": 0, "failed": 0}
    deliver(d, NOW + timedelta(minutes=1))
    assert len(receiver.messages) == 1  # told once


def test_a_burst_of_one_source_is_one_message(tmp_path: Path, receiver: Receiver) -> None:
    d = deliverer(tmp_path, settings(receiver.url, plain=True))
    for n in range(1, 6):
        d.ledger.add_moment(celebration(n), ["target-1"])
    deliver(d, NOW)
    (message,) = receiver.wait_for(1)
    assert message["title"] == "5 commits in smallwins"
    assert "“Commit 1”" in message["message"] and "and 2 more" in message["message"]


def test_down_endpoint_backs_off_then_gets_the_backlog(tmp_path: Path, receiver: Receiver) -> None:
    d = deliverer(tmp_path, settings(receiver.url, retry_initial_seconds=5, retry_max_seconds=900))
    for n in range(1, 6):
        d.ledger.add_moment(celebration(n, group=f"g{n}"), ["target-1"])
    receiver.mode = "down"
    now = NOW
    while now < NOW + timedelta(hours=1):
        deliver(d, now)
        wake = d.next_wake(now)
        assert wake is not None
        now = max(wake, now + timedelta(seconds=1))
    attempts = receiver.attempts
    assert 5 <= attempts <= 14, attempts  # an hour down costs a bounded number of attempts
    assert d.ledger.outbox_counts() == {"pending": 5, "failed": 5}
    receiver.mode = "up"
    deliver(d, d.next_wake(now) or now)
    (message,) = receiver.wait_for(1)
    assert message["title"] == "📬 5 messages while away"
    assert d.ledger.outbox_counts() == {"pending": 0, "failed": 0}


def test_refused_connection_is_a_failure_not_a_crash(tmp_path: Path, receiver: Receiver) -> None:
    receiver.stop()
    d = deliverer(tmp_path, settings(receiver.url))
    d.ledger.add_moment(celebration(1, group=None), ["target-1"])
    deliver(d, NOW)
    assert d.ledger.outbox_counts() == {"pending": 1, "failed": 1}
    (state,) = d.ledger.target_states()
    assert state.failures == 1 and state.last_error


def test_deliver_due_sends_to_every_target_and_a_down_one_holds_up_no_other(
    tmp_path: Path, receiver: Receiver
) -> None:
    notify = NotifySettings.model_validate(
        {"urls": ["json://127.0.0.1:9/down", receiver.url, f"{receiver.url}/second"]}
    )
    d = deliverer(tmp_path, notify)
    d.ledger.add_moment(celebration(1, group=None), ["target-1", "target-2", "target-3"])

    assert d.deliver_due(NOW) == 2

    assert len(receiver.wait_for(2)) == 2
    assert d.ledger.outbox_counts() == {"pending": 1, "failed": 1}
    assert d.deliver_due(NOW) == 0  # nothing else is due: the down target is held


def test_quiet_hours_delay_and_never_drop(tmp_path: Path, receiver: Receiver) -> None:
    hold_all = settings(receiver.url, quiet_hours="22:00-07:30", quiet_hours_hold="all")
    d = deliverer(tmp_path, hold_all)
    night = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    moment = celebration(1, group=None)
    moment.at = moment.due_at = night
    d.ledger.add_moment(moment, ["target-1"])
    assert d.plan(night) == {}
    wake = d.next_wake(night)
    assert wake == datetime(2026, 11, 21, 7, 30, tzinfo=ZoneInfo("UTC"))
    deliver(d, wake)
    assert len(receiver.wait_for(1)) == 1


def test_tags_route_moments(tmp_path: Path) -> None:
    notify = NotifySettings.model_validate(
        {
            "urls": [
                "json://a",
                {"url": "json://b", "tags": ["system"]},
                {"url": "json://c", "tags": ["celebration", "digest"]},
            ]
        }
    )
    notifier = Notifier(notify.urls)
    assert notifier.names_for("celebration") == ["target-1", "target-3"]
    assert notifier.names_for("system") == ["target-2"]
    assert notifier.names_for("setback") == ["target-1"]
    assert Notifier(()).names_for("celebration") == ["terminal"]


def test_no_secret_in_errors_or_logs(
    tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    from smallwins.redact import REDACTOR

    canary = "CanarySecret0042"
    receiver.mode = "down"
    url = f"json://user:{canary}@127.0.0.1:{receiver.port}/hook?+X-Token={canary}"
    d = deliverer(tmp_path, settings(url))
    d.ledger.add_moment(celebration(1, group=None), ["target-1"])
    caplog.handler.addFilter(REDACTOR)
    caplog.set_level("DEBUG")
    deliver(d, NOW)
    assert canary not in caplog.text
    assert canary not in str(d.ledger.target_states())


def test_a_target_of_a_new_scheme_loads_after_others_have(receiver: Receiver) -> None:
    # As a reload that adds a gotify:// target to a daemon that sent only to json:// so far.
    # A child process: this one's Apprise may have loaded every plugin already.
    code = f"""
from smallwins.config import NotifySettings
from smallwins.delivery.notify import Notifier
first = NotifySettings.model_validate({{"urls": ["{receiver.url}"]}})
assert Notifier(first.urls).prepare() == {{}}
later = NotifySettings.model_validate({{"urls": ["gotify://127.0.0.1:{receiver.port}/Atoken123"]}})
notifier = Notifier(later.urls)
assert notifier.prepare() == {{}}, notifier.prepare()
assert notifier.send("target-1", "Hello", "From gotify", "info").ok
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    (message,) = receiver.wait_for(1)
    assert message["message"] == "From gotify"


def test_a_targets_scope_says_which_moments_it_gets_on_a_shared_ledger() -> None:
    settings = NotifySettings(
        urls=[
            "desktop://",
            "ntfy://topic",
            {"url": "json://127.0.0.1:9/hook", "scope": "local", "name": "hook"},
        ]
    )
    assert [t.reach for t in settings.urls] == ["local", "shared", "local"]
    notifier = Notifier(settings.urls)
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    win = Moment("celebration", "win:code:a", "t", "m", now, now)
    total = Moment("total", "total:code:10", "t", "m", now, now)
    assert notifier.targets_for(win, shared_ledger=True) == ["target-1", "hook"]
    assert notifier.targets_for(total, shared_ledger=True) == ["target-2"]
    # One machine (SQLite): every target gets what its tags say, as before.
    every = ["target-1", "target-2", "hook"]
    assert notifier.targets_for(win, shared_ledger=False) == every
    assert notifier.targets_for(total, shared_ledger=False) == every
    assert notifier.shared == ["target-2"]
