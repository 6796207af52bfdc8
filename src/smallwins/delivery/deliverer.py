"""The outbox deliverer: due moments to targets, bursts coalesced, quiet hours, backoff."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from smallwins import message, picture
from smallwins.api.moment import NOTIFY_TYPES
from smallwins.config import NotifySettings
from smallwins.delivery.notify import Notifier, SendResult
from smallwins.ledger import FrozenSend, Ledger, PendingDelivery

log = logging.getLogger("smallwins.delivery")

# More messages than this waiting for one target (after an outage) are folded into one.
BACKLOG_FOLD = 3


@dataclass(slots=True)
class Outgoing:
    """One message for one target, standing for one or more outbox rows."""

    target: str
    kind: str
    category: str
    title: str
    body: str
    outbox_ids: list[int]
    # Set once frozen: the message was handed to a sender, and title and body are its final
    # words, to be sent again exactly so.
    send_id: int | None = None
    # The numbers a weekly digest's picture is drawn from, kept with its moment in the ledger.
    picture: dict[str, Any] | None = None

    @property
    def notify_type(self) -> str:
        return NOTIFY_TYPES.get(self.category, "info")


def _as_frozen(send: FrozenSend) -> Outgoing:
    """A frozen message as it was first sent."""
    return Outgoing(
        send.target,
        send.kind,
        send.category,
        send.title,
        send.body,
        list(send.outbox_ids),
        send.send_id,
        send.picture,
    )


def compose(
    target: str,
    rows: list[PendingDelivery],
    burst: Callable[[list[dict[str, Any]]], tuple[str, str]],
) -> list[Outgoing]:
    """The messages for ``rows`` due together for one target: a group's celebrations as one
    burst, and more than ``BACKLOG_FOLD`` messages folded into one. ``smallwins replay``
    shows what would be sent with this too."""
    groups: dict[str, list[PendingDelivery]] = {}
    for row in rows:
        key = row.moment.group or f"moment:{row.moment.id}"
        groups.setdefault(key, []).append(row)
    outgoing = []
    for members in groups.values():
        first = members[0].moment
        picture = None
        if len(members) > 1 and first.kind == "celebration":
            title, body = burst([m.moment.payload for m in members])
            kind = "burst"
        else:
            title, body, kind = first.title, first.message, first.kind
            picture = first.payload.get("picture") if len(members) == 1 else None
        ids = [m.outbox_id for m in members]
        outgoing.append(Outgoing(target, kind, first.category, title, body, ids, picture=picture))
    if len(outgoing) > BACKLOG_FOLD:
        title, body = message.backlog([(o.title, o.body) for o in outgoing])
        categories = {o.category for o in outgoing}
        category = categories.pop() if len(categories) == 1 else "celebration"
        ids = [oid for o in outgoing for oid in o.outbox_ids]
        outgoing = [Outgoing(target, "backlog", category, title, body, ids)]
    return outgoing


class Gate:
    """Open while the ledger may be written with what senders did. A send can outlive the
    daemon (an endpoint that never answers); once the gate is closed, its outcome is dropped,
    and what it sent stays in the outbox, so the ledger can be closed under it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open = True

    @property
    def open(self) -> bool:
        return self._open

    def write(self, fn: Callable[[], object]) -> bool:
        """Run ``fn`` (a ledger write) unless the gate is closed; False when it is."""
        with self._lock:
            if not self._open:
                return False
            fn()
            return True

    def close(self) -> None:
        """No write after this returns; one under way is waited for."""
        with self._lock:
            self._open = False


class Deliverer:
    def __init__(
        self,
        ledger: Ledger,
        notifier: Notifier,
        settings: NotifySettings,
        zone: ZoneInfo,
        *,
        burst: Callable[[list[dict[str, Any]]], tuple[str, str]],
        jitter: Callable[[], float] = random.random,
        gate: Gate | None = None,
    ) -> None:
        """``burst`` words several celebrations of one source as one message, from their
        moments' payloads; ``gate`` is closed when the daemon stops."""
        self.ledger = ledger
        self.gate = gate or Gate()
        self._burst = burst
        self.notifier = notifier
        self.settings = settings
        self.zone = zone
        self._jitter = jitter

    def quiet_until(self, now: datetime) -> datetime | None:
        """When the current quiet hours end, or None outside them. Only with
        ``quiet_hours_hold = "all"``: else the coach holds what waits for the morning, and a
        win made at this machine is told at once."""
        if self.settings.quiet_hours_hold != "all":
            return None
        quiet = self.settings.quiet_hours
        local = now.astimezone(self.zone)
        if quiet is None or not quiet.contains(local):
            return None
        return quiet.ends_after(local)

    def next_wake(self, now: datetime) -> datetime | None:
        due = self.ledger.next_due(self.notifier.names, shared=self.notifier.shared)
        if due is None:
            return None
        quiet = self.quiet_until(max(due, now))
        return quiet if quiet is not None else due

    def plan(self, now: datetime) -> dict[str, list[Outgoing]]:
        """The messages to send now, per target: first those frozen (handed to a sender with
        an unknown outcome) as they were, then the rest, bursts coalesced, backlogs folded."""
        if self.quiet_until(now) is not None:
            return {}
        plans: dict[str, list[Outgoing]] = {}
        names, shared = self.notifier.names, self.notifier.shared
        for send in self.ledger.frozen(now, names, shared=shared):
            plans.setdefault(send.target, []).append(_as_frozen(send))
        per_target: dict[str, list[PendingDelivery]] = {}
        for row in self.ledger.due(now, names, shared=shared):
            per_target.setdefault(row.target, []).append(row)
        for target, rows in per_target.items():
            plans.setdefault(target, []).extend(self._compose(target, rows))
        return plans

    def _compose(self, target: str, rows: list[PendingDelivery]) -> list[Outgoing]:
        return compose(target, rows, self._burst)

    def send(self, outgoing: Outgoing, now: datetime) -> bool:
        """Freeze one message and send it (blocking); mark its rows sent, or back the target
        off, thawing the rows only when the failure is certain."""
        if outgoing.send_id is None:
            title, body = message.finish(
                outgoing.kind, outgoing.title, outgoing.body, plain=self.settings.plain
            )
            if not self.gate.write(lambda: self._freeze(outgoing, title, body)):
                return False
            if outgoing.send_id is None:
                # Claimed by another daemon first, or this machine's lead ran out.
                log.debug("not sending %r to %s: no longer ours", title, outgoing.target)
                return False
        else:
            title, body = outgoing.title, outgoing.body
        attach = self.picture_for(outgoing)
        try:
            result = self.notifier.send(
                outgoing.target, title, body, outgoing.notify_type, attach=attach
            )
        except Exception as exc:  # an Apprise plugin bug is one failed attempt, not a crash
            result = SendResult(False, f"sending raised {type(exc).__name__}", unknown=True)
        if result.ok:
            if self.gate.write(lambda: self.ledger.mark_sent(outgoing.outbox_ids, outgoing.target)):
                log.debug("sent %r to %s", title, outgoing.target)
            return True
        self.gate.write(lambda: self._failed(outgoing, result, now))
        return False

    def picture_for(self, outgoing: Outgoing) -> bytes | None:
        """The message's picture, drawn now, if it has one and its target takes it. It is
        drawn for each send (a frozen one too): the numbers are the ledger's, the bytes not."""
        if outgoing.picture is None or not self.settings.pictures:
            return None
        if not self.notifier.takes_pictures(outgoing.target):
            return None
        return picture.make(outgoing.picture)

    def _freeze(self, outgoing: Outgoing, title: str, body: str) -> None:
        outgoing.send_id = self.ledger.freeze(
            outgoing.outbox_ids,
            outgoing.target,
            kind=outgoing.kind,
            category=outgoing.category,
            title=title,
            body=body,
            shared=outgoing.target in self.notifier.shared,
        )

    def _failed(self, outgoing: Outgoing, result: SendResult, now: datetime) -> None:
        failures = self.ledger.target_failures(outgoing.target) + 1
        delay = self.backoff(failures)
        self.ledger.mark_failed(
            outgoing.outbox_ids,
            outgoing.target,
            result.error or "failed",
            now + delay,
            thaw=not result.unknown,
        )
        log.warning(
            "could not notify %s (attempt %d): %s; next try in %.0f s%s",
            outgoing.target,
            failures,
            result.error,
            delay.total_seconds(),
            ", with the same words" if result.unknown else "",
        )

    def backoff(self, failures: int) -> timedelta:
        """Exponential backoff with jitter, capped: an hour down costs about ten attempts."""
        base = self.settings.retry_initial_seconds * 2 ** min(failures - 1, 30)
        capped = min(base, self.settings.retry_max_seconds)
        return timedelta(seconds=capped * (0.8 + 0.4 * self._jitter()))

    def deliver_target(self, messages: list[Outgoing], now: datetime) -> int:
        """Send a target's messages in order, stopping at its first failure."""
        sent = 0
        for outgoing in messages:
            if not self.gate.open or not self.send(outgoing, now):
                break
            sent += 1
        return sent

    def deliver_due(self, now: datetime) -> int:
        """Send everything due now (blocking): each target's messages on a thread of its own,
        the first target's on this one, straight after the outbox is read. Returns how many
        messages were sent; the first error of any target is raised once all are done."""
        plans = list(self.plan(now).values())
        sent: list[int] = []
        errors: list[Exception] = []

        def deliver(messages: list[Outgoing]) -> None:
            try:
                sent.append(self.deliver_target(messages, now))
            except Exception as exc:  # raised below, once the other targets are done
                errors.append(exc)

        others = [
            threading.Thread(target=deliver, args=(messages,), name="smallwins-send", daemon=True)
            for messages in plans[1:]
        ]
        for thread in others:
            thread.start()
        if plans:
            deliver(plans[0])
        for thread in others:
            thread.join()
        if errors:
            raise errors[0]
        return sum(sent)
