"""``smallwins report``: the real command writes the page, a real Chromium opens it."""

from __future__ import annotations

import itertools
import json
import random
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smallwins.api.win import local_day
from smallwins.coach.stats import num
from tests.browser import CHROMIUM, MISSING, Browser, Visit
from tests.cli_run import smallwins
from tests.conftest import Repo
from tests.daemon_proc import DaemonProcess
from tests.test_stats import env, recent_history, record, session, setup_history, stats_json

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason=MISSING)
DESKTOP, PHONE = 1280, 390


def write_report(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "out" / "report.html"
    done = smallwins("report", "--out", str(out), *args, env=env())
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{out}\n"
    assert out.stat().st_mode & 0o777 == 0o600
    return out


def open_page(page: Path, shots: Path) -> list[Visit]:
    """The page at a desktop's and a phone's width, each screenshot kept under ``shots``."""
    shots.mkdir(exist_ok=True)
    visits = []
    with Browser() as browser:
        for name, width in (("desktop", DESKTOP), ("phone", PHONE)):
            shot = shots / f"{page.stem}-{name}.png"
            visit = browser.visit(page, width=width, shot=shot)
            assert visit.problems == []
            assert visit.requests == [page.as_uri()]  # the page itself, nothing else
            assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 5000
            visits.append(visit)
    return visits


def assert_numbers_are_stats(visit: Visit) -> None:
    """Each labelled number on the page is ``stats --json``'s for its goal."""
    by_goal = {goal["goal"]: goal for goal in stats_json()}
    assert {stat["goal"] for stat in visit.stats} == set(by_goal)
    for stat in visit.stats:
        expected = by_goal[stat["goal"]][stat["name"]]
        number = re.match(r"[\d,.]+", stat["text"])
        assert number is not None and stat["visible"], stat
        # The page rounds as a person reads ("9.8 h" for 9.75): to the places it shows.
        shown = number.group().replace(",", "")
        places = len(shown.partition(".")[2])
        assert abs(float(shown) - expected) <= 0.5 * 10**-places + 1e-9, stat


@needs_chromium
def test_the_page_opens_offline_and_shows_the_numbers_of_stats(home: Path, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    record(home, recent_history(40, 10, now))

    page = write_report(tmp_path)
    desktop, phone = open_page(page, tmp_path / "shots")

    assert_numbers_are_stats(desktop)
    assert_numbers_are_stats(phone)
    names = {stat["name"] for stat in desktop.stats}
    assert {"streak", "best_streak", "strength", "total_count", "total_hours"} <= names
    assert {"this_week", "baseline", "this_week_percent", "target"} <= names
    assert "39 sessions" in desktop.text and "39 days" in desktop.text
    for heading in ("Every day", "Strength", "Weeks against your usual", "Streaks"):
        assert heading in desktop.text
    assert "The target, step by step" in desktop.text
    # The target ramped 10 -> 10.5 -> 11 (its max): two steps, each in the table.
    html = page.read_text()
    assert "2 steps of the target; 11 min from" in html
    assert "<td>10.5 min</td>" in html
    assert "<td>39 days</td>" in html  # the streak's row
    assert "Content-Security-Policy" in html and "default-src &#x27;none&#x27;" not in html
    assert "default-src 'none'" in html and "<script" not in html


@needs_chromium
def test_a_load_the_policy_forbids_is_seen_by_the_check(tmp_path: Path) -> None:
    """The check can fail: an image from the network is refused and reported."""
    from smallwins.report.page import STYLE, csp

    page = tmp_path / "bad.html"
    page.write_text(
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        f'content="{csp(STYLE)}"><style>{STYLE}</style></head>'
        '<body><img src="http://127.0.0.1:9/x.png" alt=""></body></html>'
    )
    with Browser() as browser:
        visit = browser.visit(page, width=DESKTOP)

    assert any("default-src 'none'" in problem for problem in visit.problems)
    assert "http://127.0.0.1:9/x.png" in visit.requests


@needs_chromium
def test_an_empty_ledger_and_a_single_win(home: Path, tmp_path: Path) -> None:
    setup_history(home, [])  # configured, never scanned: no ledger yet
    empty = write_report(tmp_path)
    (desktop, _) = open_page(empty, tmp_path / "empty")
    assert "No sessions yet." in desktop.text
    assert_numbers_are_stats(desktop)

    now = datetime.now(UTC).replace(microsecond=0)
    record(home, [session(now - timedelta(minutes=1), 12)])
    one = write_report(tmp_path)
    (desktop, _) = open_page(one, tmp_path / "one")
    assert_numbers_are_stats(desktop)
    assert "1 of 365 days with a session" in desktop.text
    assert "Morning sit (12 min)" in desktop.text


@needs_chromium
def test_ten_years_of_daily_wins(home: Path, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    today = local_day(now, UTC, time(4))
    first = today - timedelta(days=3649)
    record(
        home,
        [
            session(datetime.combine(first + timedelta(days=n), time(12), UTC), 12)
            for n in range(3650)
        ],
    )

    page = write_report(tmp_path, "--from", first.isoformat())
    desktop, _ = open_page(page, tmp_path / "shots")

    assert_numbers_are_stats(desktop)
    assert "3,650 sessions" in desktop.text
    assert f"3,650 of 3,650 days with a session, {first} to {today}" in desktop.text
    html = page.read_text()
    assert html.count('aria-labelledby="g0-heat-cap"') >= 10  # a calendar a year
    assert html.count('<rect class="l') >= 2 * 3650  # every day in each goal's calendar


@needs_chromium
def test_a_zone_far_from_utc_with_its_own_day_boundary(home: Path, tmp_path: Path) -> None:
    zone = ZoneInfo("Pacific/Kiritimati")  # UTC+14
    now = datetime.now(zone)
    today = local_day(now, zone, time(4))
    day = today - timedelta(days=3)
    # 02:30 there belongs to the evening before; 23:30 (09:30 UTC) to its own day.
    late = datetime.combine(day, time(2, 30), zone)
    evening = datetime.combine(day, time(23, 30), zone)
    log = setup_history(home, [session(late, 20), session(evening, 7)])
    config = home / "config.toml"
    config.write_text(config.read_text().replace('timezone = "UTC"', f'timezone = "{zone.key}"'))
    done = smallwins("run", "--once", env=env())
    assert done.returncode == 0, done.stderr
    assert log.exists()

    page = write_report(tmp_path)
    desktop, _ = open_page(page, tmp_path / "shots")

    assert_numbers_are_stats(desktop)
    days = {d["day"]: d["value"] for d in stats_json()[0]["days"]}
    before = day - timedelta(days=1)
    assert days[before.isoformat()] == 20 and days[day.isoformat()] == 7
    html = page.read_text()
    assert f"<title>{before}: 20</title>" in html and f"<title>{day}: 7</title>" in html
    assert f"{before} 02:30</time>" in html and f"{day} 23:30</time>" in html
    assert "(Pacific/Kiritimati)" in desktop.text


@needs_chromium
def test_a_goals_experiments_are_a_table_of_the_numbers_of_experiment_list(
    home: Path, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    today = local_day(now, UTC, time(4))
    lines = [
        session(datetime.combine(today - timedelta(days=back), time(7, 10), UTC), minutes)
        for back in range(60, 0, -1)
        # Longer sits in the two weeks that ended a week ago.
        for minutes in [(15 if 7 < back <= 21 else 10) + back % 5]
    ]
    record(home, lines)
    began = today - timedelta(days=21)
    for args in (("sit before coffee", "--from", str(began)), ("evening walk",)):
        done = smallwins("experiment", "start", args[0], "--goal", "sitting", *args[1:], env=env())
        assert done.returncode == 0, done.stderr
    listed = smallwins("experiment", "list", "--json", env=env())
    ended, running = json.loads(listed.stdout)

    page = write_report(tmp_path)
    desktop, phone = open_page(page, tmp_path / "shots")

    html = page.read_text()
    assert html.count("<h3>Experiments</h3>") == 1  # the weekly goal has none
    low, high = (round(x * 100) for x in ended["interval"])
    row = (
        f'<th scope="row">sit before coffee</th><td>{began} to {began + timedelta(days=13)} '
        f"(14 days)</td><td>{ended['before'][0]} to {ended['before'][1]} (28 days)</td>"
        f"<td>{num(ended['mean_during'])} min</td><td>{num(ended['mean_before'])} min</td>"
        f"<td>{round(ended['change'] * 100):+d}%</td><td>{low:+d}% to {high:+d}%</td>"
    )
    assert row in html
    assert running["interval"] is None and "<td>when it ends</td>" in html
    for visit in (desktop, phone):
        assert "Experiments" in visit.text and "evening walk" in visit.text


def test_goal_and_range_options(home: Path, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    record(home, recent_history(40, 10, now))

    page = write_report(tmp_path, "--goal", "weekly")
    html = page.read_text()
    assert ">weekly</h2>" in html and ">sitting</h2>" not in html

    today = local_day(now, UTC, time(4))
    start = today - timedelta(days=13)
    page = write_report(tmp_path, "--from", start.isoformat(), "--to", today.isoformat())
    html = page.read_text()
    assert f"{start} to {today}" in html
    cells = html.count('<rect class="l') + html.count('<rect class="rest"')
    assert cells == 2 * 14  # two goals, fourteen days each (one of them a rest day)

    unknown = smallwins("report", "--goal", "nope", "--out", str(tmp_path / "x.html"), env=env())
    assert unknown.returncode == 2
    assert "no goal named nope; the goals are: sitting, weekly" in unknown.stderr
    backwards = smallwins("report", "--from", "2026-02-01", "--to", "2026-01-01", env=env())
    assert backwards.returncode == 2 and "--from 2026-02-01 is after --to" in backwards.stderr
    bad = smallwins("report", "--from", "yesterday", env=env())
    assert bad.returncode == 2 and "use a date like" in bad.stderr


def test_titles_are_shown_as_text(home: Path, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    line = f"{now.isoformat()} 5 <script>alert(1)</script> & \x1b[31mred"
    record(home, [line])

    html = write_report(tmp_path).read_text()

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \\u001b[31mred" in html


def test_the_daemon_keeps_the_page_it_is_asked_for(home: Path, repo: Repo, tmp_path: Path) -> None:
    repo.commit("Work the page shows")
    page = tmp_path / "pages" / "smallwins.html"
    (home / "config.toml").write_text(
        f'report = "{page}"\n[sources.code]\ndetector = "git"\nrepos = ["{repo.path}"]\n'
    )
    daemon = DaemonProcess(home, repo.path)
    try:
        daemon.wait_for_log(f"report page written: {page}")
        text = page.read_text()
        assert "default-src 'none'" in text and "</html>" in text  # whole, and offline
        assert page.stat().st_mode & 0o777 == 0o600
        assert not [p for p in page.parent.iterdir() if p != page]  # no half-written file left
        assert daemon.stop() == 0
    finally:
        daemon.close()


def test_the_page_is_rewritten_just_after_each_day_ends() -> None:
    from smallwins.coach.schedule import Schedule
    from smallwins.daemon.pages import SETTLE, next_write

    berlin = ZoneInfo("Europe/Berlin")
    schedule = Schedule(berlin, time(4), None, "daily", time(20, 30))
    evening = datetime(2026, 11, 30, 22, tzinfo=berlin)
    small_hours = datetime(2026, 12, 1, 3, 30, tzinfo=berlin)  # still the 30th's day
    for now in (evening, small_hours):
        assert next_write(schedule, now) == datetime(2026, 12, 1, 4, tzinfo=berlin) + SETTLE


def test_amounts_read_as_a_person_says_them(home: Path, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    # 740.5 minutes: 12.341666... hours. This week's and the usual week's minutes likewise.
    record(home, [session(now - timedelta(minutes=2), 370.25), session(now, 370.25)])
    html = write_report(tmp_path).read_text()
    assert '<span data-stat="total_hours">12.3</span> h' in html
    assert '<span data-stat="this_week">740.5</span>' in html


def test_month_names_in_the_calendar_never_overlap() -> None:
    from smallwins.api.goal import Goal
    from smallwins.report import charts

    # The block's first week starts on 24 Nov 2025: December begins a week later.
    end = date(2026, 11, 24)
    start = end - timedelta(days=364)
    chart = charts.heatmaps("g", Goal("g", ("s",)), {}, frozenset(), 0.5, start, end)
    labels = [
        (int(x), name)
        for x, name in re.findall(r'<text class="axis" x="(\d+)" y="11">(\w+)</text>', chart.svg)
    ]
    step = charts.CELL + charts.GAP
    assert labels[0][1] == "Dec"  # November's one week has no room for its name
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(labels)]
    assert min(gaps) >= charts.MONTH_LABEL_COLUMNS * step, labels
    assert [name for _, name in labels][-1] == "Nov"


def test_the_weeks_chart_rings_the_gains_the_coach_told() -> None:
    from smallwins.report import build
    from tests.test_coach import gains_of, weekly_history

    # Ten weeks around 420 min, then 2% more each week: some weeks beat the usual one by
    # chance, and the growth is told as a gain.
    noise = random.Random(1)
    totals = [420 * 1.02 ** max(0, w - 9) * noise.gauss(1, 0.05) for w in range(18)]
    sim = weekly_history(totals)
    told = gains_of(sim)
    assert told
    html = build(sim.coach, sim.ledger, sim.clock)
    assert html.count('<circle class="told-mark"') == len(told)
    assert html.count('<span class="key told">') == 1  # its key, for the one goal
    assert f"{len(told)} told as a gain ({', '.join(map(str, told))})" in html
    above = int(re.search(r"(\d+) above your usual week", html).group(1))  # type: ignore[union-attr]
    assert above > len(told)  # the ring is for what was told, not every better week
    for week in told:
        assert f"<td>{week}</td>" in html
