"""What the ledger hands back: plain records, the same whichever implementation keeps them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from smallwins.api.moment import Moment
from smallwins.api.win import Win


# Not frozen: a first scan of a long history makes one for every win (100,000 and more), and
# a frozen dataclass's __init__ costs four times as much. Changing one changes nothing stored.
@dataclass(slots=True)
class StoredWin:
    """A win as the ledger holds it: the detector's Win plus its source and local day."""

    id: int
    source: str
    detector: str
    key: str
    kind: str
    title: str
    occurred_at: datetime
    day: date
    value: float
    unit: str
    tags: tuple[str, ...]
    details: dict[str, Any]

    def as_win(self) -> Win:
        """The detector's Win it was recorded from (to record it again elsewhere)."""
        return Win(
            key=self.key,
            title=self.title,
            occurred_at=self.occurred_at,
            kind=self.kind,
            value=self.value,
            unit=self.unit,
            tags=self.tags,
            details=self.details,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "detector": self.detector,
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "occurred_at": self.occurred_at.isoformat(),
            "day": self.day.isoformat(),
            "value": self.value,
            "unit": self.unit,
            "tags": list(self.tags),
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class DayTotal:
    """The wins of one kind on one local day, summed: what a goal without tags counts."""

    day: date
    kind: str
    count: int
    total: float
    largest: float


@dataclass(frozen=True, slots=True)
class WinMark:
    """One win, reduced to what a goal with tags needs to count it."""

    source: str
    day: date
    kind: str
    value: float
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class News:
    """What was recorded after a mark (``LedgerView.news_since``): the wins added, oldest
    first, the sources whose wins changed otherwise (amended, their rest days replaced, or
    too many added at once to list), and the mark to ask from next."""

    mark: int
    wins: list[StoredWin]
    redrawn: frozenset[str]


@dataclass(frozen=True, slots=True)
class SourceState:
    name: str
    detector: str
    last_scan_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    failures: int
    paused_until: datetime | None
    problems: list[str]
    wins: int


@dataclass(frozen=True, slots=True)
class TargetState:
    """How delivery to one target stands: failures in a row and when it is tried again."""

    name: str
    failures: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_ok_at: datetime | None


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """An outbox row that is due, with its moment."""

    outbox_id: int
    target: str
    attempts: int
    moment: Moment


@dataclass(frozen=True, slots=True)
class FrozenSend:
    """A message handed to a sender whose outcome is not known: its exact words, and the
    outbox rows it stands for."""

    send_id: int
    target: str
    kind: str
    category: str
    title: str
    body: str
    outbox_ids: tuple[int, ...]
    # The numbers of the weekly digest's picture, when the message is one such digest.
    picture: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Experiment:
    """A change a person tries on a goal from ``start`` for ``days`` local days; ``stopped``
    is the last day counted when it was ended early."""

    id: int
    name: str
    goal: str
    start: date
    days: int
    stopped: date | None = None

    @property
    def last_day(self) -> date:
        """The last day of the window (the one stopped on, when it was stopped early)."""
        return self.stopped or self.start + timedelta(days=self.days - 1)


@dataclass(frozen=True, slots=True)
class SetbackMark:
    """When the last setback told was due, and when the last one was made."""

    due_at: datetime
    created_at: datetime


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def encoder() -> Callable[[Any], str]:
    """``dumps`` for many values, made once: a first scan encodes 100,000 wins' details, and
    json.dumps builds its C encoder anew for each value (a third of the time it takes)."""
    make = getattr(json.encoder, "c_make_encoder", None)  # None where the C part is missing
    if make is None:
        return json.JSONEncoder(
            default=_json_default, ensure_ascii=False, separators=(",", ":")
        ).encode
    # What JSONEncoder.encode does for these options, with the encoder built here once.
    markers: dict[int, Any] = {}
    encode = make(
        markers, _json_default, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )

    def dumps_one(value: Any) -> str:
        try:
            return "".join(encode(value, 0))
        except BaseException:
            # A value that failed part way leaves its containers marked as being encoded.
            markers.clear()
            raise

    return dumps_one


def dumps(value: Any) -> str:
    """JSON as the ledger stores it: compact, UTF-8, dates as ISO 8601."""
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class MachineState:
    """A machine (a state folder) that has recorded into the ledger: its id, the host name
    it was labelled with, and when it last spoke to the ledger."""

    id: str
    label: str
    first_seen: datetime
    last_contact: datetime
    # The person's settings in the machine's config when it joined (time zone, day start,
    # goals, quiet hours, templates): the lead's are the ones that count.
    settings: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "first_seen": self.first_seen.isoformat(),
            "last_contact": self.last_contact.isoformat(),
        }
