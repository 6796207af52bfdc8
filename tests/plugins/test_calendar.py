"""The calendar detector: finished events, planning ahead, history, cursors and bad files.

Fixtures are in tests/plugins/fixtures/calendar (see its README); the clock is stopped at
2025-06-15 12:00 UTC (14:00 in Berlin) unless a test moves it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pydantic
import pytest
from smallwins_plugins.calendar import CalendarDetector, CalendarOptions, files, register_detectors

from smallwins import Detector, DetectorError, ScanContext
from smallwins.testing import Harness, ScanResult, run_scan

FIXTURES = Path(__file__).parent / "fixtures" / "calendar"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


class Clock:
    """Stops ``ScanContext.now`` at a time the test moves on by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = NOW
        monkeypatch.setattr(ScanContext, "now", lambda _context: self.now)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return count_parses(monkeypatch)


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files parsed, in order: the cursor's promise is that unchanged ones are not."""
    parsed: list[str] = []
    real = files.parse

    def counting(data: bytes) -> Any:
        parsed.append(data.decode("utf-8", "replace"))
        return real(data)

    monkeypatch.setattr(files, "parse", counting)
    return parsed


def detector(*paths: Path | str, **options: Any) -> CalendarDetector:
    options.setdefault("events", ["Gym*", "Run"])
    return CalendarDetector("life", CalendarOptions(path=[str(p) for p in paths], **options))


def scan(det: CalendarDetector, cursor: Any = None, zone: str = "Europe/Berlin") -> ScanResult:
    context = ScanContext(source="life", cursor=cursor, timezone=ZoneInfo(zone))
    result = run_scan(det, context)
    assert result.junk == []
    assert result.cursor_saved
    # The ledger keeps the cursor as JSON: prove it survives the trip.
    result.cursor = json.loads(json.dumps(result.cursor))
    return result


def copy(folder: Path, name: str) -> Path:
    """The fixture ``name`` (a file or a folder) copied into ``folder``."""
    source = FIXTURES / name
    target = folder / source.name
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy(source, target)
    return target


def rewrite(path: Path, change: Callable[[str], str]) -> None:
    """Edit a file as an editor would: new content, and a modification time that moved."""
    before = path.stat().st_mtime_ns
    path.write_text(change(path.read_text()))
    os.utime(path, ns=(before + 10**9, before + 10**9))


def event(uid: str, summary: str, start: datetime, end: datetime) -> str:
    stamp = "%Y%m%dT%H%M%SZ"
    return (
        f"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20250101T000000Z\nSUMMARY:{summary}\n"
        f"DTSTART:{start.astimezone(UTC):{stamp}}\nDTEND:{end.astimezone(UTC):{stamp}}\n"
        "END:VEVENT\n"
    )


def calendar(*events: str) -> str:
    return (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//tests//EN\n" + "".join(events) + "END:VCALENDAR\n"
    )


def berlin(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


# -- events --------------------------------------------------------------------------------


def test_finished_events_that_match_are_wins(clock: Clock) -> None:
    result = scan(detector(FIXTURES / "personal.ics", categories=["sport"]))

    wins = {w.key: w for w in result.wins}
    # Not: in progress (run-1), tomorrow (gym-next), a title that only mentions the gym,
    # cancelled, older than 90 days, "Running late" (the glob is "Run").
    assert sorted(wins) == ["event:flow-1", "event:gym-1", "event:gym-2", "event:gym-now"]
    gym = wins["event:gym-1"]
    assert gym.title == "Gym"
    assert gym.kind == "event"
    assert gym.occurred_at == berlin(2025, 6, 14, 19, 0)
    assert (gym.value, gym.unit) == (60, "minutes")
    assert gym.tags == ("Personal",)
    assert gym.history
    assert gym.details["place"] == "Personal"
    assert gym.details["start"] == berlin(2025, 6, 14, 18, 0).isoformat()
    assert gym.details["file"] == str(FIXTURES / "personal.ics")
    assert wins["event:gym-2"].title == "gym session"
    assert wins["event:gym-2"].value == 90
    # Matched through CATEGORIES, whatever their case.
    assert wins["event:flow-1"].tags == ("Personal", "Wellness", "SPORT")
    # An event that ends exactly now has ended.
    assert wins["event:gym-now"].occurred_at == NOW
    assert result.problems == []


def test_an_event_is_told_when_it_ends_and_never_before(clock: Clock, parses: list[str]) -> None:
    det = detector(FIXTURES / "personal.ics")
    first = scan(det)
    # The run ends at 14:30 in Berlin: the daemon is asked to scan again then.
    assert first.next_scan_at == berlin(2025, 6, 15, 14, 30)

    clock.now = berlin(2025, 6, 15, 14, 29, 59)
    early = scan(det, first.cursor)
    assert early.wins == []
    assert early.next_scan_at == berlin(2025, 6, 15, 14, 30)

    clock.now = berlin(2025, 6, 15, 14, 30, 2)
    due = scan(det, early.cursor)
    assert [(w.key, w.title, w.history) for w in due.wins] == [("event:run-1", "Run", False)]
    assert due.wins[0].occurred_at == berlin(2025, 6, 15, 14, 30)
    # Then tomorrow's gym; and the file was read once, by the first scan.
    assert due.next_scan_at == berlin(2025, 6, 16, 19, 0)
    assert len(parses) == 1
    assert scan(det, due.cursor).wins == []


def test_a_moved_event_counts_once_at_its_new_time(tmp_path: Path, clock: Clock) -> None:
    path = copy(tmp_path, "personal.ics")
    with Harness(tmp_path, timezone="Europe/Berlin") as harness:
        harness.add_source("life", CalendarDetector, {"path": str(path), "events": ["Gym*"]})
        harness.scan("life")
        rewrite(path, lambda text: move_event(text, "20250616T18", "20250615T15"))

        clock.now = berlin(2025, 6, 15, 14, 5)
        assert harness.scan("life") == []
        assert harness.last_result.next_scan_at == berlin(2025, 6, 15, 16, 0)

        clock.now = berlin(2025, 6, 15, 16, 0, 1)
        (moved,) = harness.scan("life")
        assert (moved.key, moved.occurred_at) == ("event:gym-next", berlin(2025, 6, 15, 16, 0))

        # Moved again after it counted: still one win.
        rewrite(path, lambda text: move_event(text, "20250615T15", "20250615T16"))
        clock.now = berlin(2025, 6, 15, 18, 0)
        assert harness.scan("life") == []
        assert [w.key for w in harness.wins("life")].count("event:gym-next") == 1


def move_event(text: str, start: str, to: str) -> str:
    """``text`` with the hour-long event at ``start`` (YYYYMMDDTHH, Berlin) moved to ``to``."""

    def end(hour: str) -> str:
        return (datetime.strptime(hour, "%Y%m%dT%H") + timedelta(hours=1)).strftime("%Y%m%dT%H")

    zone = ";TZID=Europe/Berlin:"
    text = text.replace(f"DTEND{zone}{end(start)}", f"DTEND{zone}{end(to)}")
    return text.replace(f"DTSTART{zone}{start}", f"DTSTART{zone}{to}")


def test_an_event_cancelled_before_it_ends_is_never_a_win(tmp_path: Path, clock: Clock) -> None:
    path = copy(tmp_path, "personal.ics")
    det = detector(path)
    first = scan(det)
    rewrite(path, lambda text: text.replace("UID:run-1\n", "UID:run-1\nSTATUS:CANCELLED\n"))

    clock.now = berlin(2025, 6, 15, 15, 0)
    result = scan(det, first.cursor)

    # The file changed, so its earlier events come again (the ledger has them); not the run.
    assert {w.key for w in result.wins} == {w.key for w in first.wins}
    assert result.next_scan_at == berlin(2025, 6, 16, 19, 0)


def test_first_scan_is_one_summary_then_each_event_is_celebrated(
    tmp_path: Path, clock: Clock
) -> None:
    path = copy(tmp_path, "personal.ics")
    with Harness(tmp_path, timezone="Europe/Berlin") as harness:
        harness.add_source("life", CalendarDetector, {"path": str(path), "events": ["Gym*", "Run"]})
        assert len(harness.scan("life")) == 3
        clock.now = berlin(2025, 6, 15, 14, 31)
        harness.scan("life")

        summary, celebration = harness.moments()
    assert (summary.kind, summary.title) == ("summary", f"Watching {path}")
    assert "Found 3 past events" in summary.message
    assert (celebration.kind, celebration.title) == ("celebration", "Small win in Personal")
    # gym-2 and gym-now were today too.
    assert celebration.message == "\u201cRun\u201d - your 3rd event today."


def test_history_is_what_happened_before_the_last_scan_and_over_a_day_ago(
    tmp_path: Path, clock: Clock
) -> None:
    folder = tmp_path / "vdir" / "personal"
    folder.mkdir(parents=True)
    (folder / "gym-a.ics").write_text(
        calendar(event("gym-a", "Gym", NOW - timedelta(days=1), NOW - timedelta(hours=23)))
    )
    det = detector(tmp_path / "vdir")
    first = scan(det)
    assert [(w.key, w.history) for w in first.wins] == [("event:gym-a", True)]

    # A collection synced in later brings old events (history) and one an hour old (news).
    clock.now = NOW + timedelta(minutes=5)
    (tmp_path / "vdir" / "club").mkdir()
    (tmp_path / "vdir" / "club" / "old.ics").write_text(
        calendar(event("old", "Gym", NOW - timedelta(days=20), NOW - timedelta(days=20, hours=-1)))
    )
    (tmp_path / "vdir" / "club" / "new.ics").write_text(
        calendar(event("new", "Gym", NOW - timedelta(hours=2), NOW - timedelta(hours=1)))
    )
    result = scan(det, first.cursor)

    assert sorted((w.key, w.history, w.details["place"]) for w in result.wins) == [
        ("event:new", False, "club"),
        ("event:old", True, "club"),
    ]


def test_an_event_written_down_afterwards_counts(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "log.ics"
    path.write_text(calendar())
    det = detector(path)
    first = scan(det)

    clock.now = NOW + timedelta(minutes=30)
    rewrite(path, lambda _: calendar(event("late", "Gym", NOW - timedelta(hours=3), NOW)))
    result = scan(det, first.cursor)

    assert [(w.key, w.history) for w in result.wins] == [("event:late", False)]


def test_retiming_a_whole_series_does_not_count_its_past_again(
    tmp_path: Path, clock: Clock
) -> None:
    path = copy(tmp_path, "recurring.ics")
    det = detector(path, events=["Swim"])
    first = scan(det)
    assert len(first.wins) == 4

    # Every Monday swim moves from 07:00 to 06:30: new recurrence ids for the same swims.
    clock.now = NOW + timedelta(minutes=10)
    rewrite(path, lambda text: text.replace("20250505T070000", "20250505T063000"))
    result = scan(det, first.cursor)

    assert result.wins == []
    assert result.next_scan_at == berlin(2025, 6, 16, 8, 0)


def test_changing_what_counts_reads_every_file_again_as_history(clock: Clock) -> None:
    first = scan(detector(FIXTURES / "personal.ics", events=["Gym*"]))
    assert len(first.wins) == 3

    clock.now = NOW + timedelta(days=2)
    result = scan(detector(FIXTURES / "personal.ics", events=["Gym*", "Run*"]), first.cursor)

    # As on a first scan: what has already happened is history, even the run that ended
    # after the last scan and was not counted then.
    assert {w.key: w.history for w in result.wins} == {
        "event:gym-1": True,
        "event:gym-2": True,
        "event:gym-now": True,
        "event:run-1": True,
        "event:gym-next": True,
        "event:running-late": True,
    }


# -- files, folders and vdirs ----------------------------------------------------------------


def test_a_vdir_is_read_as_vdirsyncer_writes_it(clock: Clock) -> None:
    result = scan(detector(FIXTURES / "vdir", todos=True))

    # Not read: a .tmp file, a file without an extension, anything under a dot-folder.
    assert sorted((w.key, w.details["place"]) for w in result.wins) == [
        ("event:gym-a", "Personal life"),
        ("event:gym-lunch", "work"),
        ("todo:31FC53CE-71A0-4AE1-8371-822B8DC4ECD9", "Tasks"),
    ]
    assert result.problems == []


def test_several_paths_and_globs(tmp_path: Path, clock: Clock) -> None:
    one = copy(tmp_path, "personal.ics")
    (tmp_path / "more").mkdir()
    copy(tmp_path / "more", "orphans.ics")

    result = scan(detector(one, tmp_path / "m*", events=["Gym"]))

    assert sorted(w.key for w in result.wins) == [
        "event:gym-1",
        "event:gym-now",
        "event:orphan/20250610T170000Z",
        "event:orphan/20250611T170000Z",
    ]


def test_unchanged_files_are_not_parsed_again(
    tmp_path: Path, clock: Clock, parses: list[str]
) -> None:
    folder = tmp_path / "vdir" / "cal"
    folder.mkdir(parents=True)
    for n in range(40):
        start = NOW - timedelta(days=n, hours=1)
        (folder / f"item{n}.ics").write_text(
            calendar(event(f"item{n}", "Gym", start, start + timedelta(minutes=30)))
        )
    det = detector(tmp_path / "vdir")
    first = scan(det)
    assert (len(first.wins), len(parses)) == (40, 40)

    parses.clear()
    assert scan(det, first.cursor).wins == []
    assert parses == []

    # Touched but not changed (a sync tool rewrote it): hashed, not parsed.
    item = folder / "item7.ics"
    rewrite(item, lambda text: text)
    again = scan(det, first.cursor)
    assert parses == []

    rewrite(item, lambda text: text.replace("SUMMARY:Gym", "SUMMARY:Gym!"))
    scan(det, again.cursor)
    assert len(parses) == 1
    assert "SUMMARY:Gym!" in parses[0]


def test_a_deleted_file_is_forgotten(tmp_path: Path, clock: Clock) -> None:
    folder = copy(tmp_path, "vdir")
    det = detector(folder)
    first = scan(det)
    (folder / "work" / "gym-lunch.ics").unlink()

    result = scan(det, first.cursor)

    assert not any("gym-lunch" in path for path in result.cursor["files"])


def test_watch_paths_and_which_changes_matter(tmp_path: Path) -> None:
    vdir = copy(tmp_path, "vdir")
    (tmp_path / "exports").mkdir()
    single = copy(tmp_path / "exports", "google.ics")
    det = detector(vdir, single)

    assert det.watch_paths() == sorted([vdir.resolve(), single.parent.resolve()])
    relevant = {
        vdir / "personal": True,
        vdir / "personal" / "new.ics": True,
        vdir / "personal" / "NEW.ICS": True,
        vdir / "personal" / "displayname": True,
        vdir / "personal" / "new.ics.tmp": False,
        vdir / "personal" / "color": False,
        vdir / "personal" / ".trash": False,
        vdir / ".sync-state" / "x.ics": False,
        single: True,
        single.parent / "other.ics": False,
        tmp_path / "elsewhere.ics": False,
    }
    assert {path: det.is_relevant(path.resolve()) for path in relevant} == relevant


def test_describe(tmp_path: Path) -> None:
    assert detector(FIXTURES / "personal.ics").describe() == str(FIXTURES / "personal.ics")
    vdir = copy(tmp_path, "vdir")
    assert detector(vdir / "*").describe() == str(vdir)
    assert detector(vdir / "work", vdir / "tasks").describe() == str(vdir)
    assert detector(vdir / "nothing*").describe() == str(vdir / "nothing*")


# -- options ---------------------------------------------------------------------------------


def test_options_take_one_path_or_several() -> None:
    one = CalendarOptions(path="~/cal.ics", events="Gym*")
    assert (one.path, one.events, one.lookback, one.max_file_mib) == (
        ["~/cal.ics"],
        ["Gym*"],
        90,
        20,
    )
    with pytest.raises(pydantic.ValidationError, match="evnts"):
        CalendarOptions(path=["x"], evnts=["Gym"])
    with pytest.raises(pydantic.ValidationError, match="an entry is empty"):
        CalendarOptions(path=["x"], events=["Gym", " "])
    with pytest.raises(pydantic.ValidationError, match="path"):
        CalendarOptions(path=[], events=["Gym"])


def test_a_source_that_counts_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing would count"):
        CalendarDetector("life", CalendarOptions(path=["x.ics"]))
    assert CalendarDetector("life", CalendarOptions(path=["x.ics"], rest=["Vacation*"]))


def test_the_detector_is_registered() -> None:
    registered: list[type[Detector]] = []
    register_detectors(registered.append)
    assert registered == [CalendarDetector]
    assert (CalendarDetector.name, CalendarDetector.noun) == ("calendar", "event")


# -- what goes wrong -------------------------------------------------------------------------


def test_a_missing_path_is_an_error_naming_it(tmp_path: Path, clock: Clock) -> None:
    with pytest.raises(DetectorError, match=r"nowhere\.ics does not exist"):
        scan(detector(tmp_path / "nowhere.ics"))

    result = scan(detector(tmp_path / "nowhere.ics", FIXTURES / "orphans.ics", events=["Gym"]))
    assert len(result.wins) == 2
    assert [(p.path, p.message) for p in result.problems] == [
        (str(tmp_path / "nowhere.ics"), "does not exist")
    ]


def test_each_bad_file_gives_its_good_events_or_one_problem(clock: Clock) -> None:
    broken = FIXTURES / "broken"
    result = scan(detector(broken, FIXTURES / "orphans.ics"))

    assert sorted(w.key for w in result.wins) == [
        # icalendar refuses the whole file for one alarm's TRIGGER:PT-2H; both events count.
        "event:alarm-1",
        "event:alarm-2",
        "event:cut-1",
        "event:cut-2",
        "event:good",
        "event:orphan/20250610T170000Z",
        "event:orphan/20250611T170000Z",
    ]
    problems = {Path(p.path or "").name: (p.line, p.message) for p in result.problems}
    assert problems == {
        "bad_values.ics": (
            None,
            "2 of 3 entries skipped: bad DTSTART: Wrong datetime format: 2025-06-14 10:00",
        ),
        "cut_off.ics": (18, "1 of 3 entries skipped: VEVENT cut off before its END line"),
        "junk.ics": (None, "is not an iCalendar file (no BEGIN:VCALENDAR)"),
    }
    assert str(result.problems[0]).startswith(str(broken))


def test_a_broken_file_is_reported_until_it_is_fixed(
    tmp_path: Path, clock: Clock, parses: list[str]
) -> None:
    path = copy(tmp_path, "broken/bad_values.ics")
    det = detector(path)
    first = scan(det)
    parses.clear()

    again = scan(det, first.cursor)
    assert [p.message for p in again.problems] == [p.message for p in first.problems]
    assert parses == []

    rewrite(path, lambda text: text.replace("2025-06-14 10:00", "20250614T100000Z"))
    fixed = scan(det, again.cursor)
    assert sorted(w.key for w in fixed.wins) == ["event:bad-start", "event:good"]
    assert "1 of 3 entries skipped: bad RRULE" in fixed.problems[0].message


def test_a_file_over_the_size_cap_is_skipped_with_a_clear_message(
    tmp_path: Path, clock: Clock
) -> None:
    big = tmp_path / "big.ics"
    big.write_text(calendar(*(event(f"e{n}", "Gym", NOW, NOW) for n in range(400))))
    copy(tmp_path, "orphans.ics")

    result = scan(detector(tmp_path, max_file_mib=0.02))

    assert len(result.wins) == 2
    (problem,) = result.problems
    assert problem.path == str(big)
    assert problem.message == (
        f"is {big.stat().st_size / 2**20:.3g} MiB, more than max_file_mib = 0.02; "
        "skipped (raise max_file_mib to read it)"
    )


def test_a_file_that_breaks_keeps_what_it_planned(tmp_path: Path, clock: Clock) -> None:
    path = copy(tmp_path, "personal.ics")
    det = detector(path)
    first = scan(det)
    good = path.read_text()
    rewrite(path, lambda _: "\x00\x01 garbage")

    clock.now = berlin(2025, 6, 15, 14, 31)
    broken = scan(det, first.cursor)
    assert [w.key for w in broken.wins] == ["event:run-1"]
    assert broken.problems[0].message.startswith("is not an iCalendar file")

    rewrite(path, lambda _: good)
    assert scan(det, broken.cursor).problems == []


def test_a_damaged_cursor_reads_everything_again(clock: Clock) -> None:
    det = detector(FIXTURES / "personal.ics")
    first = scan(det)
    cursor = first.cursor
    cursor["files"][str(FIXTURES / "personal.ics")]["planned"] = [["nonsense"]]

    result = scan(det, cursor)

    assert result.problems == []
    assert {w.key for w in result.wins} == {w.key for w in first.wins}


def test_loading_the_plugin_imports_no_calendar_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, smallwins_plugins.calendar\n"
        "print(sorted(m for m in sys.modules if 'ical' in m))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
