"""Problems are worth a person's attention: no false alarms, nothing printed raw to stderr.

Promise (docs/reliability.md, "Problems worth a person's attention"): a calendar file that
holds nothing that could count (time zones only, free/busy only) gives no problem however
icalendar takes it, and icalendar's warnings are not printed. The time-zone file follows
libical's zoneinfo files (tests/reliability cannot ship them) with the TZID-ALIAS-OF
property of RFC 7808, which tzurl.org-style generators add; the globally unique TZID is the
one Evolution writes.
"""

from __future__ import annotations

from pathlib import Path

from smallwins_plugins.calendar import CalendarDetector

from smallwins.testing import run_cli, scan_once

ZONE_ONLY = """BEGIN:VCALENDAR
PRODID:-//citadel.org//NONSGML Citadel calendar//EN
VERSION:2.0
BEGIN:VTIMEZONE
TZID:/citadel.org/20110318_2/Asia/Istanbul
TZID-ALIAS-OF:Europe/Istanbul
X-LIC-LOCATION:Asia/Istanbul
BEGIN:STANDARD
TZOFFSETFROM:+0300
TZOFFSETTO:+0200
TZNAME:EET
DTSTART:19701025T040000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
END:VCALENDAR
"""

FREE_BUSY_ONLY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Microsoft Corporation//Outlook 11.0 MIMEDIR//EN
BEGIN:VFREEBUSY
DTSTART:2006717T080000Z
FREEBUSY:2006717T100000Z/PT30M
END:VFREEBUSY
END:VCALENDAR
"""

GLOBAL_TZID = """BEGIN:VCALENDAR
PRODID:-//Ximian//NONSGML Evolution Calendar//EN
VERSION:2.0
BEGIN:VEVENT
UID:20250610T080000Z-1@example.com
DTSTAMP:20250610T080000Z
DTSTART;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20250610T100000
DTEND;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20250610T110000
SUMMARY:Gym
END:VEVENT
END:VCALENDAR
"""


def test_files_with_nothing_that_could_count_give_no_problem(tmp_path: Path) -> None:
    (tmp_path / "Istanbul.ics").write_text(ZONE_ONLY)
    (tmp_path / "boeing.ics").write_text(FREE_BUSY_ONLY)

    result = scan_once(CalendarDetector, {"path": str(tmp_path), "events": ["*"], "todos": True})

    assert result.problems == []


def test_a_guessed_time_zone_is_not_printed(home: Path, tmp_path: Path) -> None:
    calendar = tmp_path / "evolution.ics"
    calendar.write_text(GLOBAL_TZID)
    (home / "config.toml").write_text(
        f"""
timezone = "Europe/Berlin"
[sources.life]
detector = "calendar"
path = "{calendar}"
events = ["Gym"]
lookback = 3660
"""
    )

    done = run_cli("run", "--once", home=home)

    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "TZID" not in done.stderr, done.stderr
    listed = run_cli("wins", "--json", home=home)
    assert '"occurred_at": "2025-06-10T11:00:00+02:00"' in listed.stdout
