"""The meditation detector against exports written the way the apps write them.

The fixtures in fixtures/meditation/ are hand-written after each app's real format, quirks
included; tests copy them into tmp_path and back-date them, since a file changed in the last
two seconds may still be being written and its unterminated last record is held back.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from zoneinfo import ZoneInfo

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smallwins_plugins.meditation import MeditationDetector, MeditationOptions
from smallwins_plugins.meditation import options as meditation_options
from smallwins_plugins.meditation.detect import FORMATS, Format
from smallwins_plugins.meditation.session import Broken, Reading, Session, Unreadable, local_time

from smallwins import DetectorError, ScanContext
from smallwins.testing import Harness, ScanResult, load, run_scan

FIXTURES = Path(__file__).parent / "fixtures" / "meditation"
BERLIN = "Europe/Berlin"


def settle(path: Path, seconds: float = 60) -> Path:
    """Back-date ``path``: a file that has been still for a while is read whole."""
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def copy(name: str, folder: Path, as_name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return settle(Path(shutil.copy(FIXTURES / name, folder / (as_name or name))))


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return settle(path)


def scan(path: Path, cursor: Any = None, *, zone: str = BERLIN, **options: Any) -> ScanResult:
    """One scan as the daemon runs it, with ``zone`` the configured time zone."""
    detector = MeditationDetector("sits", MeditationOptions(path=str(path), **options))
    context = ScanContext(source="sits", cursor=cursor, timezone=ZoneInfo(zone))
    result = run_scan(detector, context)
    assert not result.junk
    # The ledger keeps the cursor as JSON: prove it survives the trip.
    result.cursor = json.loads(json.dumps(result.cursor))
    return result


def by_key(result: ScanResult) -> dict[str, Any]:
    return {win.key: win for win in result.wins}


def problems(result: ScanResult) -> list[tuple[str | None, int | None, str]]:
    return [(Path(p.path).name if p.path else None, p.line, p.message) for p in result.problems]


# -- Insight Timer -------------------------------------------------------------------------


def test_insight_timer_sessions_are_wins(tmp_path: Path) -> None:
    result = scan(copy("InsightTimerLogs.csv", tmp_path))

    wins = by_key(result)
    assert not result.problems
    assert result.cursor_saved
    # 00:30 local on 30 March is 23:30 UTC the day before.
    sit = wins["2024-03-29T23:30:00Z/meditation"]
    assert sit.title == "13 min meditation"
    assert (sit.value, sit.unit, sit.kind) == (12.5, "min", "meditation")
    assert sit.tags == ("insight-timer", "meditation")
    assert sit.occurred_at == datetime(2024, 3, 30, 0, 30, tzinfo=ZoneInfo(BERLIN))
    assert sit.details["place"] == "Insight Timer"
    assert sit.details["duration_seconds"] == 750
    assert sit.details["line"] == 4
    assert sit.history  # a first scan is history, summed up, not celebrated one by one
    # Unpadded H:M:S; older exports wrote the bare word.
    tai_chi = wins["2024-03-29T17:05:09Z/tai-chi"]
    assert (tai_chi.title, tai_chi.kind, tai_chi.value) == ("120 min tai chi", "tai-chi", 120.08)
    breathing = wins["2024-03-27T06:15:00Z/breathing"]
    assert (breathing.title, breathing.tags) == ("5 min breathing", ("insight-timer", "breathing"))
    # A timer left running: capped at 4 hours, the raw duration kept and the cap said.
    walk = wins["2024-03-28T06:00:00Z/walking"]
    assert (walk.title, walk.value) == ("240 min walking (capped)", 240.0)
    assert walk.details["capped"] is True
    assert walk.details["raw_minutes"] == 5241.68
    assert walk.details["duration_seconds"] == 87 * 3600 + 21 * 60 + 41
    # 45 seconds is under the default minute.
    assert not [w for w in result.wins if w.occurred_at.date() == date(2024, 3, 26)]
    assert len(result.wins) == 6


@pytest.mark.parametrize(
    "newline, final", [("\r\n", ""), ("\n", ""), ("\n", "\n"), ("\r\n", "\r\n")]
)
def test_insight_timer_line_endings_and_bom_give_the_same_keys(
    tmp_path: Path, newline: str, final: str
) -> None:
    original = (FIXTURES / "InsightTimerLogs.csv").read_text().splitlines()
    reference = scan(copy("InsightTimerLogs.csv", tmp_path / "a"))
    variant = write(tmp_path / "b" / "export.csv", "\ufeff" + newline.join(original) + final)

    result = scan(variant)

    assert set(by_key(result)) == set(by_key(reference))
    assert not result.problems


def test_a_broken_row_is_reported_and_its_neighbours_count(tmp_path: Path) -> None:
    lines = (FIXTURES / "InsightTimerLogs.csv").read_text().splitlines()
    lines[2:2] = [
        "03/31/2024 25:99:00,0:25:0,,PracticeType.Meditation",
        "03/31/2024 06:00:00,0:ab:0,,X",
    ]
    lines.insert(5, "03/30/2024 06:00:00,0:10:0")
    path = write(tmp_path / "InsightTimerLogs.csv", "\r\n".join(lines))

    result = scan(path)

    assert len(result.wins) == 6
    assert problems(result) == [
        (
            "InsightTimerLogs.csv",
            3,
            "start '03/31/2024 25:99:00' is not a valid date and time; skipped",
        ),
        ("InsightTimerLogs.csv", 4, "duration '0:ab:0' is not H:M:S; skipped"),
        (
            "InsightTimerLogs.csv",
            6,
            "expected 4 fields (Started At,Duration,Preset,Activity), got 2; skipped",
        ),
    ]


# -- time zones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone, wall, instant",
    [
        # Spring forward: 02:30 does not exist; read with the offset before the jump.
        ("Europe/Berlin", datetime(2024, 3, 31, 2, 30), datetime(2024, 3, 31, 1, 30)),
        ("America/New_York", datetime(2024, 3, 10, 2, 30), datetime(2024, 3, 10, 7, 30)),
        # Fall back: the hour happens twice; the first one counts.
        ("Europe/Berlin", datetime(2024, 10, 27, 2, 30), datetime(2024, 10, 27, 0, 30)),
        ("America/New_York", datetime(2024, 11, 3, 1, 30), datetime(2024, 11, 3, 5, 30)),
        # An ordinary hour either side.
        ("Europe/Berlin", datetime(2024, 10, 27, 3, 30), datetime(2024, 10, 27, 2, 30)),
        ("America/New_York", datetime(2024, 3, 10, 3, 30), datetime(2024, 3, 10, 7, 30)),
    ],
)
def test_wall_clock_times_in_gaps_and_folds_resolve_one_way(
    zone: str, wall: datetime, instant: datetime
) -> None:
    resolved = local_time(wall, ZoneInfo(zone))
    assert resolved.astimezone(UTC) == instant.replace(tzinfo=UTC)
    # The wall time shown is the one the instant really had (03:30, not a non-existent 02:30).
    assert resolved == resolved.astimezone(UTC).astimezone(ZoneInfo(zone))


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_dst_days_in_an_export(tmp_path: Path, zone: str) -> None:
    gap, fold = (
        ("03/31/2024 02:30:00", "10/27/2024 02:30:00")
        if zone == "Europe/Berlin"
        else ("03/10/2024 02:30:00", "11/03/2024 01:30:00")
    )
    path = write(
        tmp_path / "InsightTimerLogs.csv",
        f"Started At,Duration,Preset,Activity\n{fold},0:20:0,,PracticeType.Meditation\n"
        f"{gap},0:25:0,,PracticeType.Meditation",
    )

    keys = set(by_key(scan(path, zone=zone)))

    expected = {
        "Europe/Berlin": {"2024-10-27T00:30:00Z/meditation", "2024-03-31T01:30:00Z/meditation"},
        "America/New_York": {"2024-11-03T05:30:00Z/meditation", "2024-03-10T07:30:00Z/meditation"},
    }
    assert keys == expected[zone]
    # The timezone option overrides the configured zone for the app's wall-clock times.
    other = "America/New_York" if zone == "Europe/Berlin" else "Europe/Berlin"
    assert set(by_key(scan(path, zone=other))).isdisjoint(keys)
    assert set(by_key(scan(path, zone=other, timezone=zone))) == keys


def test_a_session_at_half_past_midnight_counts_for_the_evening_before(tmp_path: Path) -> None:
    path = copy("InsightTimerLogs.csv", tmp_path / "exports")
    with Harness(tmp_path, timezone=BERLIN, day_starts_at=dtime(4, 0)) as harness:
        harness.add_source("sits", MeditationDetector, {"path": str(path)})
        days = {
            w.occurred_at.astimezone(ZoneInfo(BERLIN)).isoformat(): w.day
            for w in harness.scan("sits")
        }

    assert days["2024-03-30T00:30:00+01:00"] == date(2024, 3, 29)
    assert days["2024-03-29T18:05:09+01:00"] == date(2024, 3, 29)
    assert days["2024-03-31T03:30:00+02:00"] == date(2024, 3, 30)  # 02:30 in the gap


# -- Apple Health --------------------------------------------------------------------------


def zipped(xml: Path, folder: Path) -> Path:
    """``export.zip`` as the Health app writes it."""
    path = folder / "export.zip"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(xml, "apple_health_export/export.xml")
        archive.writestr("apple_health_export/export_cda.xml", "<ClinicalDocument/>")
    return settle(path)


def test_apple_health_mindful_sessions_with_the_app_that_wrote_them(tmp_path: Path) -> None:
    result = scan(copy("export.xml", tmp_path))

    wins = by_key(result)
    assert sorted(w.details["app"] for w in result.wins) == [
        "Ana\u2019s Apple Watch",
        "Calm",
        "Headspace",
        "Insight Timer",
        "Medito",
        "Oak",
    ]
    headspace = wins["2024-03-10T06:00:00Z/meditation"]
    assert (headspace.title, headspace.value) == ("10 min meditation", 10.0)
    assert headspace.tags == ("headspace", "meditation")
    assert headspace.details["place"] == "Headspace"
    assert headspace.occurred_at.utcoffset() == timedelta(hours=1)
    assert "user_entered" not in headspace.details
    # Entered by hand in Medito: kept, and marked.
    assert wins["2024-03-12T05:30:00Z/meditation"].details["user_entered"] is True
    assert wins["2024-03-14T11:00:00Z/meditation"].tags == ("ana-s-apple-watch", "meditation")
    # Heart rate, sleep and the workout are not sessions; a record without an offset is broken.
    assert problems(result) == [
        (
            "export.xml",
            124,
            "mindful session: startDate '2024-03-15 07:00:00' is not "
            "YYYY-MM-DD HH:MM:SS +HHMM; skipped",
        )
    ]


def test_apple_health_zip_is_read_in_place(tmp_path: Path) -> None:
    from_xml = by_key(scan(copy("export.xml", tmp_path / "xml")))

    result = scan(zipped(FIXTURES / "export.xml", tmp_path / "zip"))

    assert by_key(result).keys() == from_xml.keys()
    assert len(result.problems) == 1


def test_a_zip_without_an_apple_health_export_is_named(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photos/cat.jpg", b"\xff\xd8")
    settle(path)

    with pytest.raises(DetectorError, match=r"export\.zip: not a Apple Health .*export\.xml"):
        scan(path)


def test_entities_are_refused_and_external_ones_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("2024-03-10 07:00:00 +0100")
    laughs = write(
        tmp_path / "a" / "export.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE HealthData [\n<!ENTITY lol "lol">\n'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
        "<HealthData><Record/></HealthData>",
    )
    external = write(
        tmp_path / "b" / "export.xml",
        f'<?xml version="1.0"?>\n<!DOCTYPE HealthData SYSTEM "file://{secret}">\n'
        '<HealthData><Record type="HKCategoryTypeIdentifierMindfulSession" sourceName="x" '
        'startDate="&start;" endDate="2024-03-10 07:10:00 +0100"/></HealthData>',
    )

    assert problems(scan(laughs)) == [
        ("export.xml", 3, "the XML declares entities, which are refused; skipped")
    ]
    result = scan(external)
    assert result.wins == []
    assert [p.line for p in result.problems] == [3]
    assert "2024-03-10 07:00:00" not in str(result.problems)


# -- the Android apps and Samsung Health ---------------------------------------------------


def test_meditation_helper_plus_records(tmp_path: Path) -> None:
    # The fixture follows the layout of a real export as quoted from it (no real file is at
    # hand): U+0FCC before the first field and after the comment.
    result = scan(copy("MeditationHelperPlus.txt", tmp_path))

    wins = by_key(result)
    first = wins["2024-03-10T05:30:00Z/meditation"]
    assert first.title == "25 min meditation"
    assert (
        first.details["note"] == "Morning sit \U0001f9d8\nstill sleepy, but done \u2728\nthird line"
    )
    assert first.details["place"] == "Meditation Helper"
    # 20 minutes by the duration field, though end minus start is 20:10.
    assert wins["2024-03-11T05:30:00Z/meditation"].value == 20
    # In the spring-forward gap: 02:15 is read as 03:15 summer time.
    assert wins["2024-03-31T01:15:00Z/meditation"].occurred_at.hour == 3
    assert wins["2024-03-13T20:00:00Z/meditation"].value == 30  # no duration: end - start
    assert wins["2024-03-13T20:00:00Z/meditation"].details["note"] == (
        "no duration: end minus start"
    )
    assert "note" not in wins["2024-03-14T21:00:00Z/meditation"].details
    assert len(result.wins) == 5
    assert problems(result) == [
        ("MeditationHelperPlus.txt", 5, "duration 'ten minutes' is not a number; skipped")
    ]


def test_meditation_helper_plus_layout_without_the_outer_separators(tmp_path: Path) -> None:
    """Records whose first field follows U+0FC4 directly and whose comment is not closed
    by U+0FCC are read too, and so is a file that mixes the two layouts."""
    bare = (
        "\u0fc42024-03-10 06:30:00\u0fcc2024-03-10 06:55:00\u0fcc1500000\u0fccfirst\nline two\n"
        "\u0fc4\u0fcc2024-03-11 06:30:00\u0fcc2024-03-11 06:40:00\u0fcc600000\u0fccsecond\u0fcc\r\n"
        "\u0fc42024-03-12 06:30:00\u0fcc2024-03-12 06:40:00\u0fcc600000"
    )
    result = scan(write(tmp_path / "helper.txt", bare))

    assert problems(result) == []
    notes = {key: win.details.get("note") for key, win in by_key(result).items()}
    assert notes == {
        "2024-03-10T05:30:00Z/meditation": "first\nline two",
        "2024-03-11T05:30:00Z/meditation": "second",
        "2024-03-12T05:30:00Z/meditation": None,
    }


def test_meditation_assistant_quoted_utc_export(tmp_path: Path) -> None:
    result = scan(copy("MeditationAssistant.csv", tmp_path))

    wins = by_key(result)
    sit = wins["2024-03-12T05:30:00Z/meditation"]
    assert (sit.title, sit.details["note"]) == (
        "25 min meditation",
        'Calm, then "busy" mind\nand a second line',
    )
    assert sit.occurred_at == datetime(2024, 3, 12, 5, 30, tzinfo=UTC)
    assert sit.details["place"] == "Meditation Assistant"
    assert wins["2024-03-11T19:00:00Z/meditation"].value == 60
    assert wins["2024-03-09T05:00:00Z/meditation"].value == 20  # no length: the times
    assert problems(result) == [
        ("MeditationAssistant.csv", 5, "length '0:xx' is not HH:MM; skipped")
    ]


def test_samsung_health_mindfulness_history(tmp_path: Path) -> None:
    name = "com.samsung.shealth.mindfulness.history.20240318120000.csv"
    result = scan(copy(name, tmp_path))

    wins = by_key(result)
    assert wins["2024-03-14T05:00:00Z/meditation"].value == 10
    short = wins["2024-03-15T20:05:24Z/meditation"]
    assert short.value == 1.14  # 68,206 ms
    assert short.occurred_at.utcoffset() == timedelta(hours=5, minutes=30)
    assert short.details["track_title"] == "Wind down"
    assert short.details["place"] == "Samsung Health"
    assert wins["2024-03-16T06:00:00Z/meditation"].value == 15  # no duration: end - start
    assert problems(result) == [(name, 6, "duration 'abc' is not a number; skipped")]


def test_other_samsung_tables_are_named_or_passed_over(tmp_path: Path) -> None:
    exercise = copy("com.samsung.shealth.exercise.20240318120000.csv", tmp_path)

    with pytest.raises(
        DetectorError, match=r"com\.samsung\.shealth\.exercise table, which holds no"
    ):
        scan(exercise)
    result = scan(tmp_path)
    assert result.wins == [] and result.problems == []


# -- the plain format ----------------------------------------------------------------------


def plain_keys(result: ScanResult) -> dict[str, tuple[str, float]]:
    return {w.key: (w.title, w.value) for w in result.wins}


PLAIN = {
    "2024-03-10T05:30:00Z/meditation": ("25 min meditation", 25.0),
    "2024-03-11T05:30:00Z/walking": ("20 min walking", 20.0),
    "2024-03-12T05:30:00Z/meditation": ("13 min meditation", 12.5),
}


def test_plain_csv(tmp_path: Path) -> None:
    result = scan(copy("sits.csv", tmp_path))

    assert plain_keys(result) == PLAIN
    win = by_key(result)["2024-03-10T05:30:00Z/meditation"]
    assert win.tags == ("plain", "meditation")
    assert "place" not in win.details  # the source's own name is the place
    assert win.details["note"] == "first sit"
    assert problems(result) == [
        ("sits.csv", 5, "start '2024-03-13' has no time of day; skipped"),
        ("sits.csv", 6, "duration 'twenty' is not a number; skipped"),
    ]


def test_plain_json_lines(tmp_path: Path) -> None:
    result = scan(copy("sits.jsonl", tmp_path))

    assert plain_keys(result) == PLAIN
    assert [(line, message.split(" (")[0]) for _, line, message in problems(result)] == [
        (5, "not valid JSON"),
        (6, "expected an object with start and duration, got list; skipped"),
        (7, "duration -5 is not a positive number of minutes; skipped"),
    ]


def test_plain_json_document(tmp_path: Path) -> None:
    result = scan(copy("sits.json", tmp_path))

    assert plain_keys(result) == PLAIN
    assert problems(result) == [("sits.json", 9, "start 20240313 is not text; skipped")]


def test_plain_columns_map_other_headers(tmp_path: Path) -> None:
    path = copy("Tagebuch.csv", tmp_path)
    columns = {"start": "Datum", "duration": "Minuten", "kind": "Art", "note": "Notiz"}

    result = scan(path, columns=columns)

    assert plain_keys(result) == {
        "2024-03-10T05:30:00Z/sitzen": ("25 min sitzen", 25.0),
        "2024-03-11T05:30:00Z/gehen": ("13 min gehen", 12.5),
    }
    with pytest.raises(DetectorError, match="not an export in a format I know"):
        scan(path)


# -- which files, which format -------------------------------------------------------------


def test_a_folder_of_exports_counts_each_session_once(tmp_path: Path) -> None:
    exports = tmp_path / "Exports"
    for name in ("InsightTimerLogs.csv", "MeditationAssistant.csv", "export_cda.xml"):
        copy(name, exports)
    # An unzipped Apple Health export one level down; it shares a session with Insight Timer.
    copy("export.xml", exports / "apple_health_export")
    copy("com.samsung.shealth.exercise.20240318120000.csv", exports / "samsunghealth_ana_1")
    write(exports / "photo.jpg", b"\xff\xd8\xff\xe0 not an export")
    write(exports / ".InsightTimerLogs.csv.swp", b"\x00\x01")
    write(exports / "deep" / "deeper" / "sits.csv", (FIXTURES / "sits.csv").read_bytes())

    result = scan(exports)

    insight = scan(exports / "InsightTimerLogs.csv")
    apple = scan(exports / "apple_health_export" / "export.xml")
    assistant = scan(exports / "MeditationAssistant.csv")
    expected = by_key(insight).keys() | by_key(apple).keys() | by_key(assistant).keys()
    assert sorted(w.key for w in result.wins) == sorted(expected)
    # Insight Timer wrote its 00:30 sit to Apple Health too; Medito and Meditation Assistant
    # recorded one sit at 05:30 UTC: each is one win.
    assert len(result.wins) == len(insight.wins) + len(apple.wins) + len(assistant.wins) - 2
    assert {name for name, _, _ in problems(result)} == {"export.xml", "MeditationAssistant.csv"}


def test_an_unknown_file_is_an_error_alone_and_a_problem_in_a_folder(tmp_path: Path) -> None:
    notes = write(tmp_path / "notes.txt", "Dear diary,\nsat for ten minutes today.\n")
    copy("InsightTimerLogs.csv", tmp_path)

    with pytest.raises(DetectorError) as raised:
        scan(notes)
    message = str(raised.value)
    assert message.startswith(f"{notes}: not an export in a format I know; known formats: ")
    assert all(f"({name})" in message for name in FORMATS)
    result = scan(tmp_path)
    assert len(result.wins) == 6
    assert [(name, line) for name, line, _ in problems(result)] == [("notes.txt", None)]
    # Told once: the file is not read again until it changes.
    assert scan(tmp_path, result.cursor).problems == []


def test_a_file_of_broken_rows_is_told_in_twenty_lines_and_one_more(tmp_path: Path) -> None:
    lines = ["start,duration", "2024-03-10T06:30:00,25"] + [f"broken {n},x" for n in range(25)]
    result = scan(write(tmp_path / "sits.csv", "\n".join(lines) + "\n"))

    assert len(result.wins) == 1
    assert len(result.problems) == 21
    assert [p.line for p in result.problems[:2]] == [3, 4]
    assert result.problems[-1].message == "5 more broken records skipped"


def test_a_forced_format_reads_what_detection_would_not(tmp_path: Path) -> None:
    path = write(tmp_path / "log.txt", "start,duration\n2024-03-10T06:30:00,25\n")
    assert len(scan(path).wins) == 1

    with pytest.raises(DetectorError, match="not a Insight Timer CSV file: its first line is not"):
        scan(path, format="insight-timer")


@pytest.mark.parametrize(
    "content",
    [b"", b"\xef\xbb\xbf", b"   \n\n", b"\xff\xfe"],
    ids=["empty", "bom", "blank", "utf16-bom"],
)
def test_an_empty_file_is_nothing_yet(tmp_path: Path, content: bytes) -> None:
    result = scan(write(tmp_path / "InsightTimerLogs.csv", content))
    assert (result.wins, result.problems) == ([], [])


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    text = (FIXTURES / "sits.csv").read_text()
    result = scan(write(tmp_path / "sits.csv", text.encode("utf-16")))
    assert plain_keys(result) == PLAIN


def test_binary_garbage_never_crashes(tmp_path: Path) -> None:
    garbage = write(tmp_path / "junk" / "InsightTimerLogs.csv", os.urandom(200_000) + b"\x00")
    with pytest.raises(DetectorError, match="not an export in a format I know"):
        scan(garbage)
    assert [name for name, _, _ in problems(scan(garbage.parent))] == ["InsightTimerLogs.csv"]


def test_a_missing_export_is_waited_for_and_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    result = scan(tmp_path / "InsightTimerLogs.csv")
    assert problems(result) == [("InsightTimerLogs.csv", None, "no export here yet")]
    with pytest.raises(DetectorError, match="nowhere: no such folder"):
        scan(tmp_path / "nowhere" / "InsightTimerLogs.csv")


def test_watch_the_folder_and_only_export_files_in_it(tmp_path: Path) -> None:
    file = copy("InsightTimerLogs.csv", tmp_path / "Exports")
    (tmp_path / "Exports" / "apple_health_export").mkdir()
    one = MeditationDetector("s", MeditationOptions(path=str(file)))
    folder = MeditationDetector("s", MeditationOptions(path=str(file.parent)))

    assert one.watch_paths() == [file.parent]
    assert folder.watch_paths() == [file.parent]
    assert one.is_relevant(file)
    assert not one.is_relevant(file.parent / "Other.csv")
    assert not one.is_relevant(file.parent / "apple_health_export")
    assert folder.is_relevant(file)
    assert folder.is_relevant(file.parent / "apple_health_export")
    assert folder.is_relevant(file.parent / "apple_health_export" / "export.xml")
    assert not folder.is_relevant(file.parent / "apple_health_export" / "x" / "export.xml")
    routes = file.parent / "apple_health_export" / "workout-routes"
    routes.mkdir()
    assert not folder.is_relevant(routes)
    assert not folder.is_relevant(file.parent / ".sync" / "InsightTimerLogs.csv")
    assert not folder.is_relevant(file.parent / "InsightTimerLogs.csv.crdownload")
    assert not folder.is_relevant(file.parent / ".InsightTimerLogs.csv.tmp1234")
    assert not folder.is_relevant(file.parent / "photo.jpg")
    assert not folder.is_relevant(tmp_path / "elsewhere.csv")
    assert one.describe() == str(file)


def test_options_are_validated_with_the_key_named() -> None:
    with pytest.raises(
        pydantic.ValidationError, match="unknown format 'fitbit'; known: auto, insight_timer"
    ):
        MeditationOptions(path="x", format="fitbit")
    with pytest.raises(
        pydantic.ValidationError, match=r"max_minutes \(5\) is below min_minutes \(10\)"
    ):
        MeditationOptions(path="x", min_minutes=10, max_minutes=5)
    with pytest.raises(pydantic.ValidationError, match="unknown time zone 'Mars/Olympus'"):
        MeditationOptions(path="x", timezone="Mars/Olympus")
    with pytest.raises(pydantic.ValidationError, match="unknown column 'date'"):
        MeditationOptions(path="x", columns={"date": "Datum"})
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        MeditationOptions(path="x", activity=["walking"])  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError, match="the path is empty"):
        MeditationOptions(path=" ")
    options = MeditationOptions(path="x", format="Apple Health", activities="Tai Chi")
    assert (options.format, options.activities) == ("apple_health", ["tai-chi"])


def test_activities_and_the_shortest_session_choose_what_counts(tmp_path: Path) -> None:
    path = copy("InsightTimerLogs.csv", tmp_path)

    walking = scan(path, activities=["walking", "PracticeType.TaiChi"])
    longer = scan(path, min_minutes=20)
    short = scan(path, min_minutes=0.5, max_minutes=600)

    assert sorted(w.kind for w in walking.wins) == ["tai-chi", "walking"]
    assert sorted(w.value for w in longer.wins) == [20, 25, 120.08, 240]
    assert "0.8 min meditation" in {w.title for w in short.wins}
    assert "600 min walking (capped)" in {w.title for w in short.wins}


def test_the_plugin_registers_through_its_entry_point() -> None:
    assert load("meditation").detectors == {"meditation": MeditationDetector}
    assert MeditationDetector.noun == "session"


# -- the cursor: rescans, re-exports, moved, shrunk and edited files ------------------------


def rows(*lines: str) -> str:
    return "\r\n".join(["Started At,Duration,Preset,Activity", *lines])


def wall(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(BERLIN)).strftime("%m/%d/%Y %H:%M:%S")


def test_an_unchanged_file_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = copy("InsightTimerLogs.csv", tmp_path)
    first = scan(path)
    reads: list[str] = []
    real = FORMATS["insight_timer"]

    def counting(stream: Any, reading: Reading) -> Any:
        reads.append("read")
        return real.read(stream, reading)

    monkeypatch.setitem(FORMATS, "insight_timer", Format(real.name, real.label, counting))
    again = scan(path, first.cursor)

    assert again.wins == [] and reads == []
    assert again.cursor == first.cursor
    # The same size and mtime but other bytes at the head: read again.
    content = path.read_bytes().replace(b"0:20:0", b"0:21:0")
    stat = path.stat()
    path.write_bytes(content)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert len(scan(path, again.cursor).wins) == 6 and reads == ["read"]


def test_re_exports_add_only_new_sessions_and_a_shrunk_file_removes_nothing(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    old = [wall(now - timedelta(days=d)) + ",0:20:0,,PracticeType.Meditation" for d in (1, 2, 3)]
    exports = tmp_path / "Exports"
    path = write(exports / "InsightTimerLogs.csv", rows(*old))
    with Harness(tmp_path, timezone=BERLIN) as harness:
        harness.add_source("sits", MeditationDetector, {"path": str(path)})
        assert len(harness.scan("sits")) == 3
        assert harness.scan("sits") == []

        # The app rewrites the whole file; here it is swapped in by rename.
        new = wall(now - timedelta(minutes=30)) + ",0:12:0,,PracticeType.Meditation"
        swap = write(exports / ".InsightTimerLogs.csv.part", rows(new, *old))
        os.replace(swap, path)
        added = harness.scan("sits")
        started = (now - timedelta(minutes=30)).astimezone(ZoneInfo(BERLIN))
        assert [(w.title, w.day) for w in added] == [
            ("12 min meditation", (started - timedelta(hours=4)).date())
        ]
        assert [m.kind for m in harness.moments()] == ["summary", "celebration"]
        assert "12 min meditation" in harness.moments()[-1].message

        # Truncated, shrunk to one row, a note edited, a session's length corrected:
        # nothing is removed and nothing counts twice.
        write(path, rows(new, *old)[:60])
        assert harness.scan("sits") == []
        write(path, rows(new))
        assert harness.scan("sits") == []
        write(path, rows(new.replace(",0:12:0,,", ",0:15:0,Evening,"), *old))
        assert harness.scan("sits") == []
        assert len(harness.wins("sits")) == 4

        # Moved, and exported again beside an overlapping older export.
        moved = exports / "archive" / "InsightTimerLogs (1).csv"
        moved.parent.mkdir()
        os.replace(path, moved)
        harness.add_source("sits", MeditationDetector, {"path": str(exports)})
        write(path, rows(*old[:2]))
        assert harness.scan("sits") == []
        assert len(harness.wins("sits")) == 4


def test_a_session_found_late_is_history_and_a_new_one_is_news(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    exports = tmp_path / "Exports"
    path = write(
        exports / "InsightTimerLogs.csv",
        rows(wall(now - timedelta(days=2)) + ",0:20:0,,Meditation"),
    )
    first = scan(exports)
    assert [w.history for w in first.wins] == [True]

    # A late export from another app, older than anything seen: history. A newer one: news.
    write(
        exports / "sits.jsonl",
        json.dumps({"start": (now - timedelta(days=5)).isoformat(), "duration": 10})
        + "\n"
        + json.dumps({"start": (now - timedelta(hours=1)).isoformat(), "duration": 10})
        + "\n",
    )
    write(
        path,
        rows(
            wall(now - timedelta(minutes=20)) + ",0:20:0,,Meditation",
            wall(now - timedelta(days=2)) + ",0:20:0,,Meditation",
        ),
    )
    result = scan(exports, first.cursor)

    assert sorted((w.details["format"], w.history) for w in result.wins) == [
        ("insight_timer", False),
        ("insight_timer", True),
        ("plain", False),
        ("plain", True),
    ]


def test_a_file_being_written_is_read_once_still(tmp_path: Path) -> None:
    path = tmp_path / "InsightTimerLogs.csv"
    full = (FIXTURES / "InsightTimerLogs.csv").read_bytes()
    cut = full[: full.index(b"2:0:5") + 3]  # inside a row
    path.write_bytes(cut)

    # Never read before: the whole file waits, and the next scan is a first scan again.
    fresh = scan(path)
    assert (fresh.wins, fresh.problems, fresh.cursor_saved) == ([], [], False)
    assert fresh.next_scan_at is not None
    assert fresh.next_scan_at - datetime.now(UTC) < timedelta(seconds=3)

    # A file read before and rewritten just now: all but its unterminated last row.
    settle(path)
    known = scan(path)
    path.write_bytes(full[: full.index(b"0:5:0") + 3])
    result = scan(path, known.cursor)
    assert [w.title for w in result.wins if w.key not in by_key(known)] == [
        "120 min tai chi",
        "240 min walking (capped)",
    ]
    assert result.problems == []
    # The entry of the last whole read stays: it does not match, so the file is read again.
    assert result.cursor["files"] == known.cursor["files"]
    assert result.next_scan_at is not None

    # Once it has been still, the cut row is a broken row like any other.
    settle(path)
    later = scan(path, result.cursor)
    assert [line for _, line, _ in problems(later)] == [7]
    assert str(path) in later.cursor["files"]


def test_a_helper_record_cut_inside_its_comment_is_held_back(tmp_path: Path) -> None:
    """A comment may span lines, so a line end alone does not close a Meditation Helper
    record: its closing U+0FCC does."""
    path = tmp_path / "helper.txt"
    full = (FIXTURES / "MeditationHelperPlus.txt").read_bytes()
    path.write_bytes(full[full.index("\u0fc4".encode(), 1) :])
    known = scan(settle(path))
    path.write_bytes(full[: full.index(b"still sleepy")])  # just after "Morning sit ...\n"

    result = scan(path, known.cursor)
    assert "2024-03-10T05:30:00Z/meditation" not in by_key(result)
    assert result.next_scan_at is not None

    path.write_bytes(full)
    later = scan(settle(path), result.cursor)
    assert by_key(later)["2024-03-10T05:30:00Z/meditation"].details["note"].endswith("third line")


def test_a_first_scan_with_nothing_to_read_leaves_the_next_one_first(tmp_path: Path) -> None:
    assert scan(tmp_path / "InsightTimerLogs.csv").cursor_saved is False
    assert scan(write(tmp_path / "sits.csv", b"")).cursor_saved is False
    assert scan(copy("InsightTimerLogs.csv", tmp_path)).cursor_saved is True


def test_a_cursor_from_elsewhere_is_read_as_no_cursor(tmp_path: Path) -> None:
    path = copy("InsightTimerLogs.csv", tmp_path)
    for cursor in ({"version": 99}, {"version": 1, "files": [], "latest": {"x": "junk"}}, "x"):
        assert len(scan(path, cursor).wins) == 6


# -- properties: whatever the bytes, only sessions and clean errors come out ---------------


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(FIXTURES / "export.xml", "apple_health_export/export.xml")
    return buffer.getvalue()


SAMPLES: dict[str, list[bytes]] = {
    "insight_timer": [(FIXTURES / "InsightTimerLogs.csv").read_bytes()],
    "apple_health": [(FIXTURES / "export.xml").read_bytes(), _zip_bytes()],
    "meditation_helper": [(FIXTURES / "MeditationHelperPlus.txt").read_bytes()],
    "meditation_assistant": [(FIXTURES / "MeditationAssistant.csv").read_bytes()],
    "samsung_health": [
        (FIXTURES / "com.samsung.shealth.mindfulness.history.20240318120000.csv").read_bytes()
    ],
    "plain": [(FIXTURES / name).read_bytes() for name in ("sits.csv", "sits.jsonl", "sits.json")],
}
# Bytes that mean something to one format or another, so mutations hit the parsers' seams.
MEANINGFUL = [
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b'"',
    b":",
    b"/",
    b" ",
    b"-",
    b"+",
    b"0",
    b"9",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    "\u0fc4".encode(),
    "\u0fcc".encode(),
    b"<",
    b">",
    b"&",
    b"&lol;",
    b"<Record ",
    b"/>",
    b"{",
    b"}",
    b"[",
    b"]",
    b"null",
    b"1e999",
    b"\xf0\x9f",
    b"PracticeType.",
    b"99:99:99",
    b"12/31/9999 23:59:59",
    b"0001-01-01 00:00:00 +1400",
]


@st.composite
def mutated(draw: st.DrawFn, name: str) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES[name])))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["delete", "insert", "truncate", "duplicate", "flip"]))
        if action == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif action == "insert":
            piece = draw(st.one_of(st.sampled_from(MEANINGFUL), st.binary(max_size=24)))
            data[at:at] = piece
        elif action == "truncate":
            del data[at:]
        elif action == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
        elif data:
            data[min(at, len(data) - 1)] ^= draw(st.integers(1, 255))
    return bytes(data)


def check_reader(name: str, data: bytes, zone: str) -> None:
    try:
        items = list(FORMATS[name].read(io.BytesIO(data), Reading(ZoneInfo(zone))))
    except Unreadable as exc:
        assert str(exc)
        return
    for item in items:
        if isinstance(item, Broken):
            assert item.message and (item.line is None or item.line >= 1)
            continue
        assert isinstance(item, Session)
        assert item.start.utcoffset() is not None
        assert 0 <= item.seconds < 10_000 * 86_400
        assert item.activity and item.line >= 1


ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata"])
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", sorted(SAMPLES))
@PROPERTY
@given(data=st.data(), zone=ZONES)
def test_each_reader_survives_mutated_exports(name: str, data: st.DataObject, zone: str) -> None:
    check_reader(name, data.draw(mutated(name)), zone)


@pytest.mark.parametrize("name", sorted(SAMPLES))
@PROPERTY
@given(data=st.binary(max_size=3000), zone=ZONES)
def test_each_reader_survives_random_bytes(name: str, data: bytes, zone: str) -> None:
    check_reader(name, data, zone)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(st.binary(max_size=3000), *(mutated(name) for name in sorted(SAMPLES))),
    forced=st.sampled_from(["auto", *FORMATS]),
    fresh=st.booleans(),
)
def test_the_detector_gives_wins_problems_or_one_clean_error(
    data: bytes, forced: str, fresh: bool
) -> None:
    with TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_bytes(data)
        if not fresh:
            settle(path)
        try:
            scan(path, format=forced)  # junk (an invalid win) fails inside scan()
        except DetectorError as exc:
            assert str(exc).startswith(str(path))
        for problem in scan(Path(folder), format=forced).problems:
            assert problem.message and problem.path


def test_a_scan_reports_the_bytes_it_has_read(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    copy("InsightTimerLogs.csv", exports)
    copy("export.xml", exports / "apple_health_export")
    size = sum(p.stat().st_size for p in exports.rglob("*") if p.is_file())
    context = ScanContext(source="sits", cursor=None, timezone=ZoneInfo(BERLIN))

    run_scan(MeditationDetector("sits", MeditationOptions(path=str(exports))), context)

    assert (context.progress_done, context.progress_total, context.progress_unit) == (
        size,
        size,
        "bytes",
    )


def test_the_options_name_every_format_that_has_a_reader_and_no_other() -> None:
    # The options name the formats without importing their readers (a command builds every
    # configured source; only a scan reads exports).
    assert tuple(FORMATS) == meditation_options.FORMATS
