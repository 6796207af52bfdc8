"""Tests for the reading detector, on real files, through smallwins.testing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from smallwins_reading import ReadingLog

from smallwins import DetectorError
from smallwins.testing import Harness, scan_once

LOG = """\
# my reading log
2026-03-01 21:30  The Left Hand of Darkness, 30 pages
2026-03-02 00:40  Piranesi, 12 pages
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write(text)


def test_each_line_is_a_win(tmp_path: Path) -> None:
    log = write(tmp_path / "reading.txt", LOG)

    result = scan_once(ReadingLog, {"path": str(log)}, timezone="Europe/Berlin")

    assert [(w.title, w.kind, w.value, w.unit) for w in result.wins] == [
        ("30 pages of The Left Hand of Darkness", "reading", 30, "pages"),
        ("12 pages of Piranesi", "reading", 12, "pages"),
    ]
    assert result.wins[0].occurred_at == datetime(
        2026, 3, 1, 21, 30, tzinfo=ZoneInfo("Europe/Berlin")
    )
    assert result.wins[0].details["place"] == "The Left Hand of Darkness"
    assert result.problems == []
    assert result.junk == []


def test_scanning_twice_adds_nothing(tmp_path: Path) -> None:
    log = write(tmp_path / "reading.txt", LOG)
    with Harness(tmp_path) as harness:
        harness.add_source("books", ReadingLog, {"path": str(log)})

        assert len(harness.scan("books")) == 2
        assert harness.scan("books") == []

        append(log, "2026-03-02 21:00  Piranesi, 20 pages\n")
        assert [w.title for w in harness.scan("books")] == ["20 pages of Piranesi"]
        assert harness.scan("books") == []
        assert len(harness.wins("books")) == 3


def test_first_scan_is_history_then_new_lines_are_celebrated(tmp_path: Path) -> None:
    log = write(tmp_path / "reading.txt", LOG)
    with Harness(tmp_path) as harness:
        harness.add_source("books", ReadingLog, {"path": str(log)})
        harness.scan("books")
        append(log, "2026-03-03 07:15  Piranesi, 1 page\n")
        harness.scan("books")

        assert [(m.kind, m.title) for m in harness.moments()] == [
            ("summary", "Watching reading.txt"),
            ("celebration", "Small win in Piranesi"),
        ]


def test_a_bad_line_is_reported_and_the_good_lines_count(tmp_path: Path) -> None:
    log = write(
        tmp_path / "reading.txt",
        LOG + "2026-03-02 read a lot\n2026-02-30 22:00  Piranesi, 5 pages\n"
        "2026-03-03 22:00  Piranesi, 8 pages\n",
    )

    result = scan_once(ReadingLog, {"path": str(log)})

    assert [w.value for w in result.wins] == [30, 12, 8]
    assert [(p.path, p.line) for p in result.problems] == [(str(log), 4), (str(log), 5)]
    assert "not a reading entry" in result.problems[0].message
    assert "no such date" in result.problems[1].message


def test_line_numbers_count_from_the_top_after_a_resume(tmp_path: Path) -> None:
    log = write(tmp_path / "reading.txt", LOG)
    first = scan_once(ReadingLog, {"path": str(log)})
    append(log, "oops\n")

    second = scan_once(ReadingLog, {"path": str(log)}, cursor=first.cursor)

    assert second.wins == []
    assert [p.line for p in second.problems] == [4]


def test_a_rewritten_log_is_read_again_without_duplicates(tmp_path: Path) -> None:
    log = write(tmp_path / "reading.txt", LOG)
    with Harness(tmp_path) as harness:
        harness.add_source("books", ReadingLog, {"path": str(log)})
        harness.scan("books")

        # An editor rewrote the file: the header changed, one line is new.
        write(log, "# books\n" + LOG.split("\n", 1)[1] + "2026-03-04 20:00  Piranesi, 9 pages\n")

        assert [w.title for w in harness.scan("books")] == ["9 pages of Piranesi"]
        assert len(harness.wins("books")) == 3


def test_a_line_still_being_written_waits(tmp_path: Path) -> None:
    log = write(tmp_path / "reading.txt", LOG + "2026-03-04 20:00  Piranesi, 2")
    with Harness(tmp_path) as harness:
        harness.add_source("books", ReadingLog, {"path": str(log)})
        assert len(harness.scan("books")) == 2

        append(log, "5 pages\n")

        assert [w.value for w in harness.scan("books")] == [25]


def test_the_local_day_starts_at_four(tmp_path: Path) -> None:
    log = write(tmp_path / "reading.txt", LOG)
    with Harness(tmp_path, timezone="Europe/Berlin") as harness:
        harness.add_source("books", ReadingLog, {"path": str(log)})
        harness.scan("books")

        # 00:40 on March 2nd still counts for the evening of March 1st.
        assert [w.day for w in harness.wins("books")] == [date(2026, 3, 1), date(2026, 3, 1)]


def test_a_missing_log_is_a_detector_error(tmp_path: Path) -> None:
    with pytest.raises(DetectorError, match="cannot read"):
        scan_once(ReadingLog, {"path": str(tmp_path / "nope.txt")})


def test_an_unknown_option_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pth"):
        scan_once(ReadingLog, {"pth": str(tmp_path / "reading.txt")})
