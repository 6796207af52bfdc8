"""The calendar detector over real files from other projects' test suites (../shared/data).

The folder is not part of the repository (see its README.md for where each file comes from);
these tests skip when it is absent. Expected counts below were worked out by reading each
file, in the comment beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.test_calendar import Clock, detector, scan

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ICS = DATA / "ics"
VDIR = DATA / "vdir"

pytestmark = pytest.mark.skipif(not ICS.is_dir(), reason=f"no real calendar files at {DATA}")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    path: str
    now: datetime
    events: int = 0
    todos: int = 0
    lookback: int = 120
    problem: str | None = None
    some: dict[str, datetime] = field(default_factory=dict)


CASES = [
    # Apple Reminders: STATUS, COMPLETED and PERCENT-COMPLETE:100 together.
    Case(
        "todo/apple_ios_basic_completed.ics",
        at(2018, 5, 1),
        todos=1,
        some={
            "todo:31FC53CE-71A0-4AE1-8371-822B8DC4ECD9": at(2018, 4, 17).replace(
                hour=18, minute=43, second=2
            )
        },
    ),
    # Thunderbird: completed at 21:24:29 UTC.
    Case("todo/thunderbird_basic_completed.ics", at(2018, 5, 1), todos=1),
    # Thunderbird: the daily series stays open; its override for 17:00 in Chicago (23:00 UTC)
    # on Dec 20th is the one completion.
    Case(
        "todo/thunderbird_completed_repeating_task.ics",
        at(2021, 1, 1),
        todos=1,
        some={
            "todo:e0600bbe-b9d0-ba48-80b0-998409625d03/20201220T230000Z": at(2020, 12, 20).replace(
                hour=22, minute=1, second=39
            )
        },
    ),
    # eM Client: the same with a floating RECURRENCE-ID.
    Case(
        "todo/emclient_completed_recurring_task.ics",
        at(2020, 10, 1),
        todos=1,
        some={
            "todo:3884083942925614120/20200910T000000": at(2020, 9, 9).replace(
                hour=14, minute=25, second=4
            )
        },
    ),
    # Synology: STATUS:COMPLETED, no COMPLETED, "LAST-MOD" (not LAST-MODIFIED): first seen.
    Case(
        "todo/synology_completed_no_timestamp.ics",
        at(2019, 2, 1),
        todos=1,
        some={"todo:20190111T085445-ce536afd@172.18.0.1": at(2019, 2, 1)},
    ),
    # RFC 5545's example: a COMPLETED stamp beside STATUS:NEEDS-ACTION counts; the tax
    # return without one does not.
    Case("todo/rfc5545_vtodo_completed.ics", at(2007, 8, 1), todos=1),
    # Thunderbird, PERCENT-COMPLETE:0: open.
    Case("todo/thunderbird_percent_complete_partial.ics", at(2022, 3, 1)),
    # Weekly, COUNT=8, from Mar 4th 2019 00:30 in Berlin; the EXDATE (23:30 UTC on Mar 10th)
    # is the second one: 7.
    Case("recurrence/each_week_but_one_deleted.ics", at(2019, 6, 1), events=7),
    # Daily, COUNT=3, from Jan 28th 2020; the 29th is cancelled by its override: 2.
    Case("recurrence/cancelled_occurrence.ics", at(2020, 3, 1), events=2),
    # Third Wednesdays (COUNT=9, Sep 2023 to May 2024), Dec 20th excluded, plus an RDATE
    # PERIOD on Dec 13th from 12:00 to 15:00 in Vancouver (20:00-23:00 UTC): 9.
    Case(
        "recurrence/rdate_period.ics",
        at(2024, 6, 1),
        events=9,
        lookback=365,
        some={"event:1/20231213T200000Z": at(2023, 12, 13).replace(hour=23)},
    ),
    # khal: weekly Mondays Jun 30th to Aug 4th 2014 (6); Jul 7th moved to 09:00-14:00,
    # Jul 14th cancelled: 5.
    Case(
        "recurrence/khal_rrule_recuid_cancelled.ics",
        at(2014, 9, 1),
        events=5,
        some={"event:event_rrule_recurrence_id/20140707T050000Z": at(2014, 7, 7).replace(hour=12)},
    ),
    # khal: DTSTART:20140409 with no VALUE=DATE is an all-day event on Apr 9th.
    Case(
        "allday/khal_date_without_value_param.ics",
        at(2014, 5, 1),
        events=1,
        some={
            "event:V042MJ8B3SJNFXQOJL6P53OFMHJE8Z3VZWOU": datetime.fromisoformat(
                "2014-04-09T23:59:59+02:00"
            )
        },
    ),
    # Google: last Friday of each month at 21:30 in Berlin from Nov 26th 2021, no length;
    # Dec 31st moved to Dec 17th. To Mar 1st 2022: Nov 26, Dec 17, Jan 28, Feb 25.
    Case(
        "google/google_moved_event.ics",
        at(2022, 3, 1),
        events=4,
        some={
            "event:38m812jicsrer5gorh3mlp7qhc@google.com/20211231T203000Z": at(
                2021, 12, 17
            ).replace(hour=20, minute=30)
        },
    ),
    # Outlook's Windows zone name, defined in the file as +01:00: 14:30 is 13:30 UTC.
    Case(
        "timezones/khal_windows_tzid.ics",
        at(2019, 12, 1),
        events=1,
        some={
            "event:PERSOYPOYGVR55JMICVAFVDWWBIKPC9PTAG6SN4B2YT": at(2019, 11, 20).replace(
                hour=13, minute=30
            )
        },
    ),
    # A rail ticket export whose alarms (TRIGGER:PT-2H) make icalendar refuse the file:
    # both trips still count.
    Case("timezones/khal_ns_international_rdates.ics", at(2023, 3, 1), events=2),
    # Google: daily Mar 3rd to 23rd 2008 less an EXDATE (20); its twin has an empty EXDATE.
    Case(
        "malformed/google_parsing_error.ics",
        at(2008, 4, 1),
        events=20,
        problem="1 of 2 entries skipped: bad EXDATE",
    ),
    Case(
        "malformed/bad_rrule_missing_until.ics",
        at(2020, 1, 1),
        problem="1 of 1 entries skipped: bad recurrence: UNTIL parameter is missing",
    ),
    Case(
        "malformed/big_bad_calendar.ics",
        at(2020, 1, 1),
        problem="20 of 20 entries skipped: an event without a start time",
    ),
    # A time zone alone, mangled by a fuzzer: nothing in it could count, so no problem.
    Case("malformed/fuzz_lone_cr.ics", at(2020, 1, 1)),
    # Outlook's free/busy list with bad dates: no events or to-dos, so no problem either.
    Case("malformed/outlook_boeing_no_events.ics", at(2020, 1, 1)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.path for c in CASES])
def test_counts_worked_out_by_hand(case: Case, clock: Clock) -> None:
    clock.now = case.now
    path = ICS / case.path
    result = scan(detector(path, events=["*"], todos=True, lookback=case.lookback))

    kinds = [w.kind for w in result.wins]
    assert (kinds.count("event"), kinds.count("todo")) == (case.events, case.todos)
    ends = {w.key: w.occurred_at for w in result.wins}
    assert {key: ends.get(key) for key in case.some} == case.some
    messages = [(p.path, p.message) for p in result.problems]
    if case.problem is None:
        assert messages == []
    else:
        ((where, message),) = messages
        assert where == str(path)
        assert message.startswith(case.problem)


def test_the_real_vdir(clock: Clock) -> None:
    clock.now = at(2021, 1, 1)
    result = scan(detector(VDIR, events=["*"], todos=True, lookback=3660))

    by_place: dict[str, list[str]] = {}
    for win in result.wins:
        by_place.setdefault(win.details["place"], []).append(win.kind)
    # Calendar: khal's weekly series less a cancelled one (5), khal's all-day event, the
    # Outlook one; Google's Karaoke starts in Nov 2021. Tasks: Apple, Thunderbird (2),
    # eM Client, Synology (2); Nextcloud's two, Apple's daily one and Thunderbird's
    # half-done one are open.
    assert {place: sorted(kinds) for place, kinds in by_place.items()} == {
        "Calendar": ["event"] * 7,
        "Tasks": ["todo"] * 6,
    }
    assert result.problems == []


# Files whose problem is expected, beside every file under malformed/.
KNOWN_BAD = {
    "timezones/pacific_fiji.ics",  # two DTSTARTs in one event
    "timezones/missing_vtimezones.ics",  # events without DTSTART
    "recurrence/rfc5545_rdate_example.ics",  # RDATE examples without DTSTART
}


def every_file() -> list[Path]:
    if not ICS.is_dir():
        return []
    return sorted(ICS.rglob("*.ics")) + sorted(VDIR.rglob("*.ics"))


@pytest.mark.parametrize("path", every_file(), ids=lambda p: str(p.relative_to(DATA)))
def test_every_real_file_is_read_cleanly(path: Path, clock: Clock) -> None:
    clock.now = at(2026, 1, 1)
    det = detector(path, events=["*"], todos=True, rest=["*holiday*"], lookback=3660)
    first = scan(det)

    name = str(path.relative_to(ICS)) if path.is_relative_to(ICS) else ""
    for problem in first.problems:
        assert name.startswith("malformed/") or name in KNOWN_BAD, problem
        assert problem.path == str(path)
        assert "\n" not in problem.message and "Traceback" not in problem.message
    again: Any = scan(det, first.cursor)
    assert again.wins == []
    assert [p.message for p in again.problems] == [p.message for p in first.problems]
    assert again.rest_days == first.rest_days
