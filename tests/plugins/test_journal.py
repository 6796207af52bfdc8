"""The journal detector on real files: lines added, edited, deleted, replaced, and broken."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from smallwins_plugins.journal import JournalDetector
from smallwins_plugins.journal.lines import line_for

from smallwins.testing import scan_once

NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def scan(path: Path, cursor: object = None):  # type: ignore[no-untyped-def]
    return scan_once(JournalDetector, {"path": str(path)}, cursor=cursor, source="journal")


def test_a_line_counts_once_an_edit_revises_and_a_deletion_takes_back(tmp_path: Path) -> None:
    journal = tmp_path / "journal.md"
    first = line_for("Walked to work", NOW - timedelta(hours=2), tags=("walk",), key="aaaa11")
    journal.write_text(f"# My wins\n\nSome notes, not a win.\n{first}\n- Called the bank\n")
    result = scan(journal)
    assert sorted(w.title for w in result.wins) == ["Called the bank", "Walked to work"]
    walk = next(w for w in result.wins if w.key == "aaaa11")
    assert walk.tags == ("walk",) and walk.occurred_at == NOW - timedelta(hours=2)
    assert result.problems == []

    again = scan(journal, result.cursor)
    assert again.wins == [] and again.revised == [] and again.withdrawn == []

    edited = line_for("Walked to work and back", NOW, value=40, unit="min", key="aaaa11")
    journal.write_text(f"{edited}\n- [x] Filed the taxes\n")
    changed = scan(journal, again.cursor)
    assert [w.title for w in changed.wins] == ["Filed the taxes"]
    (revised,) = changed.revised
    assert (revised.key, revised.title, revised.value, revised.unit) == (
        "aaaa11",
        "Walked to work and back",
        40.0,
        "min",
    )
    assert len(changed.withdrawn) == 1 and changed.withdrawn[0].startswith("text-")


def test_an_editors_atomic_save_is_read_like_any_change(tmp_path: Path) -> None:
    journal = tmp_path / "journal.md"
    journal.write_text(line_for("One", NOW, key="one111") + "\n")
    result = scan(journal)
    temp = tmp_path / ".journal.md.swp"
    temp.write_text(line_for("One", NOW, key="one111") + "\n" + "- Two\n")
    os.replace(temp, journal)
    after = scan(journal, result.cursor)
    assert [w.title for w in after.wins] == ["Two"] and after.withdrawn == []


def test_broken_lines_are_named_by_number_and_the_rest_still_counts(tmp_path: Path) -> None:
    journal = tmp_path / "journal.md"
    lines = [
        line_for("Good one", NOW, key="good01"),
        "- 2026-13-45T10:00 Impossible date ^bad001",
        "- " + "x" * 5000,
        "- 2026-11-30T10:00 #onlytags ^bad002",
        line_for("From the future", NOW + timedelta(days=2), key="fut001"),
        line_for("Same id", NOW, key="good01"),
    ]
    journal.write_bytes(("\n".join(lines) + "\n").encode() + b"- \xff\xfe not utf-8\n")
    result = scan(journal)
    assert [w.title for w in result.wins] == ["Good one"]
    named = {p.line: p.message for p in result.problems}
    assert sorted(named) == [2, 3, 4, 5, 6, 7]
    assert all(p.path == str(journal) for p in result.problems)
    assert "not a time" in named[2]
    assert "4096" in named[3]
    assert "no title" in named[4]
    assert "future" in named[5]
    assert "earlier line" in named[6]
    assert "UTF-8" in named[7]


def test_a_known_line_that_breaks_keeps_its_win(tmp_path: Path) -> None:
    journal = tmp_path / "journal.md"
    journal.write_text(line_for("Ran", NOW, key="run001") + "\n")
    result = scan(journal)
    journal.write_text("- 2026-99-01T10:00 Ran ^run001\n")
    broken = scan(journal, result.cursor)
    assert broken.withdrawn == [] and broken.revised == [] and len(broken.problems) == 1
    journal.write_text("")
    assert scan(journal, broken.cursor).withdrawn == ["run001"]


def test_a_journal_not_yet_written_is_empty(tmp_path: Path) -> None:
    result = scan(tmp_path / "none" / "journal.md")
    assert result.wins == [] and result.problems == [] and result.cursor_saved
