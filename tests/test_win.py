"""Validating what detectors yield: the quick path for plain wins agrees with the full checks."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from smallwins.api.win import Win, _problems, local_day, problems_with


class Text(str):
    pass


class Moment(datetime):
    pass


class NoOffset(tzinfo):
    """A time zone that knows no offset: a datetime in it is naive for Python."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


class Plain(Mapping[str, Any]):
    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class Later(Win):
    pass


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEYS = ["c0ffee", "", "k" * 500, "k" * 501, Text("t"), 7, None, b"key"]
TITLES = ["Fix it", "", Text("t"), 3, None]
KINDS = ["commit", "", Text("k"), None, 1]
MOMENTS = [
    NOW,
    NOW.astimezone(ZoneInfo("Europe/Berlin")),
    datetime(2026, 3, 1, 12, 0),
    datetime(2026, 3, 1, 12, 0, tzinfo=NoOffset()),
    Moment(2026, 3, 1, tzinfo=UTC),
    date(2026, 3, 1),
    "2026-03-01T12:00:00+00:00",
]
VALUES = [
    1.0,
    0.0,
    -2.5,
    0,
    12,
    10**400,
    True,
    False,
    float("nan"),
    float("inf"),
    -float("inf"),
    "1",
    None,
]
UNITS = ["", "min", Text("p"), None]
TAGS = [(), ("repo", "git"), ["a"], ("a", 1), ("a", Text("b")), "ab", None, {"a"}, (None,)]
DETAILS = [{}, {"place": "x"}, OrderedDict(), MappingProxyType({}), Plain(), [], None]


def outcome(check: Any, win: object) -> Any:
    try:
        return check(win)
    except Exception as exc:  # both must fail the same way too
        return type(exc)


# In the order of Win's fields.
GOOD = (Win, "c0ffee", "Fix it", NOW, "commit", 1.0, "", ("repo", "git"), {})
CHOICES = ([Win, Later], KEYS, TITLES, MOMENTS, KINDS, VALUES, UNITS, TAGS, DETAILS)


def test_every_choice_of_each_field_alone_agrees() -> None:
    assert problems_with(Win(*GOOD[1:])) == []
    for position, choices in enumerate(CHOICES):
        for choice in choices:
            cls, *fields = (*GOOD[:position], choice, *GOOD[position + 1 :])
            win = cls(*fields)
            assert outcome(problems_with, win) == outcome(_problems, win), (position, choice)


@settings(max_examples=2000)
@given(
    st.sampled_from([Win, Later]),
    st.sampled_from(KEYS),
    st.sampled_from(TITLES),
    st.sampled_from(KINDS),
    st.sampled_from(MOMENTS),
    st.sampled_from(VALUES),
    st.sampled_from(UNITS),
    st.sampled_from(TAGS),
    st.sampled_from(DETAILS),
)
def test_the_quick_path_agrees_with_the_full_checks(
    cls: type[Win],
    key: Any,
    title: Any,
    kind: Any,
    occurred_at: Any,
    value: Any,
    unit: Any,
    tags: Any,
    details: Any,
) -> None:
    win = cls(key, title, occurred_at, kind, value, unit, tags, details)
    assert outcome(problems_with, win) == outcome(_problems, win)


def test_each_bad_field_is_named() -> None:
    good = {"key": "c0ffee", "title": "Fix it", "occurred_at": NOW}
    assert problems_with(Win(**good)) == []
    assert problems_with(Win(**good, value=2, tags=["a"], details=OrderedDict())) == []
    for field, bad, words in [
        ("key", "k" * 501, "key must be"),
        ("title", None, "title must be"),
        ("kind", "", "kind must be"),
        ("occurred_at", datetime(2026, 3, 1), "occurred_at must be"),
        ("value", float("nan"), "value must be"),
        ("value", True, "value must be"),
        ("unit", None, "unit must be"),
        ("tags", ("a", 1), "tags must be"),
        ("details", [], "details must be"),
    ]:
        (problem,) = problems_with(Win(**{**good, field: bad}))
        assert problem.startswith(words)
    assert problems_with("not a win") == ["expected a Win, got str"]


def reference_day(moment: datetime, tz: Any, day_starts_at: time) -> date:
    """local_day as first written: always through UTC."""
    local = moment.astimezone(UTC).astimezone(tz)
    return (local - timedelta(hours=day_starts_at.hour, minutes=day_starts_at.minute)).date()


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"]
BERLIN = ZoneInfo("Europe/Berlin")
OFFSETS = [UTC, timezone(timedelta(hours=5, minutes=45)), timezone(-timedelta(hours=3.5))]


@settings(max_examples=500)
@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from([*OFFSETS, *(ZoneInfo(name) for name in ZONES)]),
    st.sampled_from([ZoneInfo(name) for name in ZONES]),
    st.sampled_from([time(0), time(3), time(4), time(23, 30), time(4, 0, 59)]),
    st.booleans(),
    st.sampled_from([datetime, Moment]),
)
# 02:30 does not exist in Berlin that night: through UTC it is 03:30, a day starting at 03:00.
@example(datetime(2025, 3, 30, 2, 30), BERLIN, BERLIN, time(3), False, datetime)
@example(datetime(2025, 10, 26, 2, 30), BERLIN, BERLIN, time(3), True, datetime)
def test_local_day_is_the_day_through_utc(
    wall: datetime, its_zone: Any, zone: Any, starts: time, fold: bool, cls: type[datetime]
) -> None:
    # Any wall time in any zone, gaps and folds included, as a datetime or a subclass.
    moment = cls(*wall.timetuple()[:6], wall.microsecond, tzinfo=its_zone, fold=int(fold))
    assert local_day(moment, zone, starts) == reference_day(moment, zone, starts)
