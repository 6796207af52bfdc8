"""The weekly digest's picture: the numbers the coach keeps, the PNG drawn from them in a child
process, and the attachment that real receivers get through Apprise."""

from __future__ import annotations

import base64
import email
import email.policy
import io
import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from PIL import Image

from smallwins import picture
from smallwins.api.moment import Moment
from smallwins.coach.celebration import burst_words
from smallwins.config import NotifySettings
from smallwins.delivery.deliverer import Deliverer
from smallwins.delivery.notify import Notifier
from smallwins.ledger import open_ledger, sqlite_url
from tests.histories import Sim, SourceInfo, builtin, coach_for, day_goal, local
from tests.receiver import Receiver

SUNDAY = date(2025, 3, 9)
NOW = datetime(2025, 3, 9, 19, 30, tzinfo=UTC)
WEEK = {
    "week": "2025-03-03",
    "goals": [
        {
            "name": "sits",
            "unit": "min",
            "per": "day",
            "limit": False,
            "values": [10, 0, 20, 5, 15, 30, 10],
            "rest": [False] * 7,
            "target": 10,
            "strength": 0.93,
            "week": 90,
            "usual": 80,
        }
    ],
}


def bar_heights(png: bytes, row: int = 0) -> list[int]:
    """How many pixels tall each day's bar of goal ``row`` is, read back from the PNG."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    column = (picture.WIDTH - 2 * picture.PAD) / 7
    base = picture.HEADER + picture.ROW * row + 34 + picture.BARS
    bar_colours = {_rgb(picture.MET), _rgb(picture.SOME), _rgb(picture.OVER)}
    heights = []
    for n in range(7):
        x = int(picture.PAD + column * (n + 0.5))
        ys = range(base - picture.BARS - 2, base + 1)
        heights.append(sum(1 for y in ys if image.getpixel((x, y)) in bar_colours))
    return heights


def _rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def weekly_digest(numbers: dict[str, Any] | None = WEEK) -> Moment:
    payload: dict[str, Any] = {"count": 7}
    if numbers is not None:
        payload["picture"] = numbers
    return Moment(
        "weekly_digest",
        "weekly_digest:2025-03-09",
        "Your week: 7 wins",
        "7 sessions in Sits. Sits: 93% strong. Which win mattered most?",
        NOW,
        NOW,
        category="digest",
        payload=payload,
    )


def deliverer(path: Path, urls: list[Any], **notify: Any) -> Deliverer:
    settings = NotifySettings.model_validate({"urls": urls, "plain": True, **notify})
    return Deliverer(
        open_ledger(sqlite_url(path / "ledger.sqlite3")),
        Notifier(settings.urls),
        settings,
        ZoneInfo("UTC"),
        burst=partial(burst_words, builtin().templates),
    )


def deliver(d: Deliverer) -> None:
    for messages in d.plan(NOW).values():
        d.deliver_target(messages, NOW)


# -- the numbers ----------------------------------------------------------------------------------


def test_the_weekly_digest_keeps_the_weeks_numbers_and_no_private_title(tmp_path: Path) -> None:
    goals = [
        day_goal("sits", "sits", metric="minutes"),
        day_goal("diary", "diary", private=True, noun="entry", plural="entries"),
    ]
    sources = {"diary": SourceInfo("entry", "entries", private=True)}
    sim = Sim.at(
        tmp_path, local(SUNDAY - timedelta(days=13), 6), lambda: coach_for(goals, digest="weekly")
    )
    sim.sources = sources
    minutes = [10, 0, 20, 5, 15, 30, 10]
    for n in range(14):
        day = SUNDAY - timedelta(days=13 - n)
        if minutes[n % 7]:
            sim.win("sits", local(day, 8), minutes[n % 7], kind="session")
        sim.win("diary", local(day, 19), title=f"Secret thought {n}", kind="entry")
    sim.advance(local(SUNDAY + timedelta(days=1), 12))
    digest = sim.moments("weekly_digest")[-1]
    numbers = digest.payload["picture"]
    assert numbers["week"] == "2025-03-03"
    sits, diary = numbers["goals"]
    assert sits["values"] == minutes
    assert sits["unit"] == "min"
    assert sits["week"] == sum(minutes)
    assert (diary["name"], diary["unit"]) == ("diary", "entries")
    assert diary["values"] == [1] * 7, diary
    assert "Secret" not in json.dumps(numbers)
    # The ledger keeps them with the moment: a digest claimed after a crash is drawn again.
    (stored,) = [m for m in sim.ledger.moments() if m.dedupe_key == digest.dedupe_key]
    assert stored.payload["picture"] == numbers


# -- the PNG --------------------------------------------------------------------------------------


def test_the_picture_is_a_png_whose_bars_follow_the_days() -> None:
    png = picture.make(WEEK)
    assert png is not None
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (picture.WIDTH, picture.HEADER + picture.ROW)
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or []) > 10  # not blank
    heights = bar_heights(png)
    values = WEEK["goals"][0]["values"]  # type: ignore[index]
    assert heights[1] == 0  # no minutes: no bar
    assert heights[5] == picture.BARS  # the tallest day fills the strip
    # Each day's bar is as tall as its minutes, to within a pixel of rounding.
    for value, height in zip(values, heights, strict=True):
        assert abs(height - round(picture.BARS * value / 30)) <= 1, heights
    assert picture.make(WEEK) == png  # the same numbers, the same bytes


def test_every_goal_gets_a_row_and_its_own_bars() -> None:
    second = {**WEEK["goals"][0], "name": "code", "values": [1, 2, 3, 4, 5, 6, 7]}  # type: ignore[index]
    png = picture.make({**WEEK, "goals": [WEEK["goals"][0], second]})  # type: ignore[index]
    assert png is not None
    assert Image.open(io.BytesIO(png)).size[1] == picture.HEADER + 2 * picture.ROW
    heights = bar_heights(png, row=1)
    assert heights == sorted(heights) and heights[0] < heights[-1]


def test_a_failing_drawing_is_logged_and_gives_no_picture(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="smallwins.picture"):
        assert picture.make({"week": "2025-03-03", "goals": []}) is None
    assert "could not be drawn (ValueError: no goal to draw)" in caplog.text


# -- to real receivers ----------------------------------------------------------------------------


def test_a_json_endpoint_gets_the_picture_as_an_attachment(
    tmp_path: Path, receiver: Receiver
) -> None:
    d = deliverer(tmp_path, [receiver.url])
    d.ledger.add_moment(weekly_digest(), ["target-1"])
    deliver(d)
    (message,) = receiver.wait_for(1)
    assert message["message"].startswith("7 sessions in Sits")
    (attachment,) = message["attachments"]
    assert attachment["filename"] == "week.png"
    assert attachment["mimetype"] == "image/png"
    png = base64.b64decode(attachment["base64"])
    assert bar_heights(png) == bar_heights(picture.make(WEEK) or b"")


def test_a_digest_claimed_after_a_crash_still_gets_its_picture(
    tmp_path: Path, receiver: Receiver
) -> None:
    first = deliverer(tmp_path, [receiver.url])
    first.ledger.add_moment(weekly_digest(), ["target-1"])
    (outgoing,) = first.plan(NOW)["target-1"]
    # Frozen as a send does before handing the message over; then the process is gone.
    first.ledger.freeze(
        outgoing.outbox_ids,
        "target-1",
        kind=outgoing.kind,
        category=outgoing.category,
        title=outgoing.title,
        body=outgoing.body,
    )
    first.ledger.close()
    deliver(deliverer(tmp_path, [receiver.url]))
    (message,) = receiver.wait_for(1)
    assert message["title"] == "Your week: 7 wins"
    (attachment,) = message["attachments"]
    assert base64.b64decode(attachment["base64"]) == picture.make(WEEK)


def test_a_target_without_attachments_gets_the_words_alone(
    tmp_path: Path, receiver: Receiver
) -> None:
    # Apprise's gotify:// cannot carry a file; the second target turned pictures off.
    gotify = f"gotify://127.0.0.1:{receiver.port}/Aabcdefghijklmn"
    d = deliverer(tmp_path, [gotify, {"url": receiver.url, "pictures": False}])
    assert not d.notifier.takes_pictures("target-1")
    assert not d.notifier.takes_pictures("target-2")
    d.ledger.add_moment(weekly_digest(), ["target-1", "target-2"])
    deliver(d)
    messages = receiver.wait_for(2)
    assert len(messages) == 2
    assert all(m["message"].startswith("7 sessions in Sits") for m in messages)
    assert all(not m.get("attachments") for m in messages)


def test_pictures_can_be_turned_off_for_every_target(tmp_path: Path, receiver: Receiver) -> None:
    d = deliverer(tmp_path, [receiver.url], pictures=False)
    d.ledger.add_moment(weekly_digest(), ["target-1"])
    deliver(d)
    (message,) = receiver.wait_for(1)
    assert message["attachments"] == []


def test_a_picture_that_cannot_be_drawn_leaves_the_words(
    tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    d = deliverer(tmp_path, [receiver.url])
    d.ledger.add_moment(weekly_digest({"week": "2025-03-03", "goals": [{}]}), ["target-1"])
    with caplog.at_level(logging.WARNING, logger="smallwins.picture"):
        deliver(d)
    (message,) = receiver.wait_for(1)
    assert message["message"].startswith("7 sessions in Sits")
    assert message["attachments"] == []
    assert "picture could not be drawn (KeyError: 'name')" in caplog.text
    assert d.ledger.outbox_counts() == {"pending": 0, "failed": 0}


class Mailbox:
    """A real SMTP server on 127.0.0.1 that keeps the messages it is given."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def test_an_smtp_server_gets_the_weekly_digest_with_its_picture(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    url = f"mailto://127.0.0.1:{port}?from=smallwins@example.com&to=me@example.com"
    d = deliverer(tmp_path, [url])
    assert d.notifier.takes_pictures("target-1")
    d.ledger.add_moment(weekly_digest(), ["target-1"])
    deliver(d)
    assert box.arrived.wait(10)
    (mail,) = box.messages
    assert mail["Subject"] == "Your week: 7 wins"
    body = mail.get_body(preferencelist=("plain", "html"))
    assert body is not None
    assert "7 sessions in Sits. Sits: 93% strong." in body.get_content()
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "image/png"
    assert attachment.get_filename() == "week.png"
    assert attachment.get_content() == picture.make(WEEK)
    assert d.ledger.outbox_counts() == {"pending": 0, "failed": 0}
