"""The calendar detector: recurrence, time zones, runaway rules and rest days."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from smallwins import RestDay
from smallwins.testing import Harness
from tests.plugins.test_calendar import (
    FIXTURES,
    NOW,
    Clock,
    berlin,
    calendar,
    copy,
    count_parses,
    detector,
    event,
    rewrite,
    scan,
)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return count_parses(monkeypatch)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_recurring_series_in_full(clock: Clock) -> None:
    result = scan(detector(FIXTURES / "recurring.ics", events=["Swim", "Lesson", "Run club*"]))

    ends = {w.key: w.occurred_at for w in result.wins}
    # Mondays at 07:00 in Berlin from May 5th: May 19th is an EXDATE, May 26th moved to
    # Tuesday evening (same id, new time), June 2nd cancelled by its override.
    assert {k: v for k, v in ends.items() if k.startswith("event:swim")} == {
        "event:swim/20250505T050000Z": berlin(2025, 5, 5, 8),
        "event:swim/20250512T050000Z": berlin(2025, 5, 12, 8),
        "event:swim/20250526T050000Z": berlin(2025, 5, 27, 19),
        "event:swim/20250609T050000Z": berlin(2025, 6, 9, 8),
    }
    # RDATEs, one of them a PERIOD with its own length.
    lessons = {w.key: w.value for w in result.wins if w.key.startswith("event:lessons")}
    assert lessons == {
        "event:lessons/20250601T160000Z": 60,
        "event:lessons/20250603T160000Z": 60,
        "event:lessons/20250605T160000Z": 60,
        "event:lessons/20250607T090000Z": 150,
    }
    # RANGE=THISANDFUTURE moved June 6th and every later one two hours on; each keeps the
    # id it was planned with.
    club = {w.key: (w.title, w.occurred_at) for w in result.wins if "run-club" in w.key}
    assert len(club) == 10
    assert club["event:run-club/20250605T170000Z"] == ("Run club", utc(2025, 6, 5, 18))
    assert club["event:run-club/20250608T170000Z"] == ("Run club (later)", utc(2025, 6, 8, 20))
    assert len(result.wins) == 18
    assert result.problems == []
    assert result.next_scan_at == berlin(2025, 6, 16, 8)


def test_a_rule_with_a_huge_count_is_read_only_in_its_window(clock: Clock) -> None:
    started = time.perf_counter()
    result = scan(detector(FIXTURES / "recurring.ics", events=["Stretch"]))

    assert time.perf_counter() - started < 2
    # Every Monday of the 90 days looked back, from a rule started in 2020 with no real end.
    assert [w.occurred_at.date() for w in result.wins] == [
        date(2025, 3, 24) + timedelta(weeks=n) for n in range(12)
    ]
    planned = result.cursor["files"][str(FIXTURES / "recurring.ics")]["planned"]
    assert len(planned) == 4


def test_overrides_without_their_series(clock: Clock) -> None:
    result = scan(detector(FIXTURES / "orphans.ics"))

    assert [(w.key, w.occurred_at) for w in result.wins] == [
        ("event:orphan/20250610T170000Z", utc(2025, 6, 10, 19)),
        ("event:orphan/20250611T170000Z", utc(2025, 6, 11, 18)),
    ]


def test_a_moved_occurrence_counts_once(tmp_path: Path, clock: Clock) -> None:
    path = copy(tmp_path, "recurring.ics")
    with Harness(tmp_path, timezone="Europe/Berlin") as harness:
        harness.add_source("life", type(detector(path)), {"path": str(path), "events": ["Swim"]})
        assert len(harness.scan("life")) == 4

        # Next Monday's swim is moved to Tuesday before it happens.
        override = (
            "BEGIN:VEVENT\nUID:swim\nDTSTAMP:20250615T000000Z\nSEQUENCE:2\n"
            "RECURRENCE-ID;TZID=Europe/Berlin:20250616T070000\nSUMMARY:Swim\n"
            "DTSTART;TZID=Europe/Berlin:20250617T070000\nDTEND;TZID=Europe/Berlin:20250617T080000\n"
            "END:VEVENT\nEND:VCALENDAR"
        )
        rewrite(path, lambda text: text.replace("END:VCALENDAR", override))
        clock.now = berlin(2025, 6, 16, 9)
        assert harness.scan("life") == []
        assert harness.last_result.next_scan_at == berlin(2025, 6, 17, 8)

        clock.now = berlin(2025, 6, 17, 8, 1)
        (moved,) = harness.scan("life")
        assert (moved.key, moved.occurred_at) == (
            "event:swim/20250616T050000Z",
            berlin(2025, 6, 17, 8),
        )
        clock.now = berlin(2025, 6, 18, 9)
        assert harness.scan("life") == []


def test_time_zones_as_real_files_carry_them(clock: Clock) -> None:
    result = scan(detector(FIXTURES / "timezones.ics", events=["Gym*"]))

    wins = {w.key.removeprefix("event:"): w for w in result.wins}
    ends = {uid: win.occurred_at.astimezone(UTC) for uid, win in wins.items()}
    assert ends == {
        "tz-custom": utc(2025, 6, 10, 13, 30),  # a VTIMEZONE of its own, +05:30
        "tz-windows": utc(2025, 6, 10, 17),  # W. Europe Standard Time is Berlin
        "tz-no-vtimezone": utc(2025, 6, 10, 23),  # America/New_York, not defined in the file
        "tz-unknown": utc(2025, 6, 11, 14),  # no such zone: read as the user's own
        "floating": utc(2025, 6, 11, 17),  # the user's zone
        "utc": utc(2025, 6, 11, 7),
        # All-day: on that local day, just before its (exclusive) end at midnight.
        "all-day": utc(2025, 6, 12, 21, 59, 59),
        "three-days": utc(2025, 6, 8, 21, 59, 59),
        "date-without-value": utc(2025, 6, 13, 21, 59, 59),
        "no-end": utc(2025, 6, 14, 8),  # no DTEND: it ends as it starts
        "backwards": utc(2025, 6, 14, 10),  # DTEND before DTSTART: read the other way round
        "duration": utc(2025, 6, 14, 15, 45),
    }
    assert (wins["three-days"].value, wins["three-days"].unit) == (3, "days")
    assert wins["all-day"].details["all_day"]
    assert (wins["no-end"].value, wins["backwards"].value, wins["duration"].value) == (0, 60, 45)
    assert result.problems == []


def test_all_day_events_fall_on_their_day_wherever_the_user_is(clock: Clock) -> None:
    days = {}
    for zone in ("Pacific/Auckland", "America/Los_Angeles"):
        result = scan(detector(FIXTURES / "timezones.ics", events=["Gym all day"]), zone=zone)
        (win,) = result.wins
        days[zone] = win.occurred_at.date()
    assert days == {"Pacific/Auckland": date(2025, 6, 12), "America/Los_Angeles": date(2025, 6, 12)}


def test_a_google_export_recurs_in_its_own_time_zone(clock: Clock) -> None:
    result = scan(detector(FIXTURES / "google.ics", lookback=120))

    # Weekly at 10:00 in New York: an hour earlier in UTC after DST starts on March 9th.
    assert sorted(w.occurred_at for w in result.wins) == [
        utc(2025, 3, 1, 16),
        utc(2025, 3, 8, 16),
        utc(2025, 3, 10, 14),  # floating 09:00-10:00 means New York time here
        utc(2025, 3, 15, 15),
        utc(2025, 3, 22, 15),
    ]
    assert {w.details["place"] for w in result.wins} == {"Fitness"}


def test_rules_that_would_run_away_are_refused_and_the_rest_counts(clock: Clock) -> None:
    started = time.perf_counter()
    result = scan(detector(FIXTURES / "runaway.ics"))

    assert time.perf_counter() - started < 2
    # The huge COUNT: June 1st to 15th; and the one-off.
    assert len(result.wins) == 16
    (problem,) = result.problems
    assert problem.message == (
        "3 of 5 entries skipped: repeats 86,400 times a day (at most 24 are read)"
    )


# -- rest days -------------------------------------------------------------------------------

REST = {"events": ["Gym*"], "rest": ["Vacation*", "Sick*", "travel"]}


def test_rest_days_all_day_or_timed(clock: Clock) -> None:
    result = scan(detector(FIXTURES / "rest.ics", **REST))

    assert result.rest_days == [
        RestDay(date(2025, 6, 1), "Vacation in Italy"),
        RestDay(date(2025, 6, 2), "Vacation in Italy"),
        RestDay(date(2025, 6, 3), "Vacation in Italy"),
        RestDay(date(2025, 6, 10), "Sick"),
        # 22:00 to 02:00 is one evening: the day starts at 04:00.
        RestDay(date(2025, 6, 13), "Sick night"),
        # Matched by its category, and ahead of time.
        RestDay(date(2025, 6, 20), "Conference"),
        RestDay(date(2025, 6, 21), "Conference"),
    ]
    # A gym visit on vacation still counts.
    assert [w.key for w in result.wins] == ["event:gym-on-vacation"]


def test_every_scan_reports_every_rest_day_without_reading_the_file(
    clock: Clock, parses: list[str]
) -> None:
    det = detector(FIXTURES / "rest.ics", **REST)
    first = scan(det)

    clock.now = NOW + timedelta(hours=1)
    again = scan(det, first.cursor)

    assert again.rest_days == first.rest_days
    assert len(parses) == 1


def test_rest_days_further_ahead_appear_as_they_come_closer(
    clock: Clock, parses: list[str]
) -> None:
    det = detector(FIXTURES / "rest.ics", **REST)
    first = scan(det)
    assert date(2025, 9, 1) not in {r.day for r in first.rest_days or []}
    # Something lies beyond the 4 weeks planned: the daemon is asked back then.
    assert first.next_scan_at == NOW + timedelta(days=28)

    clock.now = datetime(2025, 8, 20, tzinfo=UTC)
    later = scan(det, first.cursor)

    assert len(parses) == 2
    assert [r.day for r in later.rest_days or []] == [
        date(2025, 6, 1),
        date(2025, 6, 2),
        date(2025, 6, 3),
        date(2025, 6, 10),
        date(2025, 6, 13),
        date(2025, 6, 20),
        date(2025, 6, 21),
        date(2025, 9, 1),
        date(2025, 9, 2),
    ]


def test_a_removed_vacation_is_no_longer_a_rest_day(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "rest.ics"
    path.write_text(calendar(event("v", "Vacation", NOW, NOW + timedelta(days=1))))
    det = detector(path, **REST)
    first = scan(det)
    assert [r.day for r in first.rest_days or []] == [date(2025, 6, 15), date(2025, 6, 16)]

    rewrite(path, lambda _: calendar())
    assert scan(det, first.cursor).rest_days == []


def test_old_rest_days_stay_when_they_leave_the_window(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "rest.ics"
    start = datetime(2025, 6, 1, 8, tzinfo=UTC)
    path.write_text(calendar(event("s", "Sick", start, start + timedelta(hours=8))))
    det = detector(path, **REST, lookback=7)
    clock.now = datetime(2025, 6, 3, tzinfo=UTC)
    first = scan(det)
    assert [r.day for r in first.rest_days or []] == [date(2025, 6, 1)]

    # Read again when June 1st is more than 7 days back: it is still a rest day.
    rewrite(path, lambda text: text.replace("END:VCALENDAR", "X-CHANGED:1\nEND:VCALENDAR"))
    clock.now = datetime(2025, 6, 20, tzinfo=UTC)
    assert [r.day for r in scan(det, first.cursor).rest_days or []] == [date(2025, 6, 1)]
