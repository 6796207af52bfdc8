"""A coach on a shared (PostgreSQL) ledger catches up on what the other machines recorded,
from a mark in the order of commits, instead of counting each goal's whole history again."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import psycopg
import pytest

from smallwins.api.detector import RestDay
from smallwins.api.goal import Goal
from smallwins.api.win import Win
from smallwins.coach.celebration import ScanInfo
from smallwins.coach.coach import Coach
from smallwins.coach.pipeline import Pipeline
from smallwins.ledger import Ledger, open_ledger
from smallwins.ledger.backends.postgresql.connection import LISTED_WINS
from tests import postgres
from tests.histories import BERLIN, coach_for, day_goal, local, targets_for
from tests.test_ledger import ZONE, record, win

MONDAY = date(2026, 3, 2)


@pytest.fixture
def url() -> str:
    return postgres.server().url(postgres.fresh_database())


@pytest.fixture
def machines(url: str) -> Iterator[tuple[Ledger, Ledger]]:
    with open_ledger(url) as one, open_ledger(url) as two:
        one.join("m-one", "laptop")
        two.join("m-two", "desktop")
        yield one, two


def waiting_on_a_lock(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as db:
        row = db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        ).fetchone()
        return bool(row and row[0])


def test_a_win_committed_after_a_later_one_is_still_news_after_the_later_ones_mark(
    url: str, machines: tuple[Ledger, Ledger]
) -> None:
    """Ids are handed out when the rows are written, before the commit: the laptop's win gets
    the lower id but commits last. A mark by id would pass over it for good."""
    laptop, desktop = machines
    record(laptop, [win("first")], cursor=1)
    with psycopg.connect(url) as holder:
        # Hold the laptop's cursor row: its next recording writes its win, then waits.
        holder.execute("SELECT 1 FROM cursors WHERE machine = 'm-one' FOR UPDATE")
        late = threading.Thread(target=record, args=(laptop, [win("late")], 2))
        late.start()
        deadline = time.monotonic() + 10
        while not waiting_on_a_lock(url):
            assert time.monotonic() < deadline, "the laptop's recording never waited"
            time.sleep(0.02)
        record(desktop, [win("early")], source="journal")
        mark = desktop.news_mark()
        holder.rollback()
        late.join(10)
    ids = {w.key: w.id for w in desktop.wins()}
    assert ids["late"] < ids["early"]
    assert [w.key for w in desktop.news_since(mark).wins] == ["late"]


def test_what_cannot_be_added_win_by_win_is_news_by_its_source(
    url: str, machines: tuple[Ledger, Ledger]
) -> None:
    laptop, desktop = machines
    mark = desktop.news_mark()
    assert laptop.amend("code", withdrawn=["none"], zone=ZONE, day_starts_at=dtime(4)) == 0
    record(laptop, [win("a")], source="code")
    assert desktop.news_since(mark).redrawn == frozenset()
    laptop.amend("code", withdrawn=["a"], zone=ZONE, day_starts_at=dtime(4))
    many = [win(f"k{n}") for n in range(LISTED_WINS + 1)]
    record(laptop, many, source="history")
    rest = [RestDay(date(2026, 11, 21), "holiday")]
    laptop.record("cal", "ics", [], None, zone=ZONE, day_starts_at=dtime(4), rest_days=rest)
    laptop.record("cal", "ics", [], None, zone=ZONE, day_starts_at=dtime(4), rest_days=rest)
    news = desktop.news_since(mark)
    assert news.redrawn == {"code", "history", "cal"}
    assert news.wins == []  # "a" was taken back
    with open_ledger(url) as copy_into:
        assert copy_into.import_rows("wins", [_row("copied")]) == 1
    assert desktop.news_since(news.mark).redrawn == {"elsewhere"}


def _row(key: str) -> tuple[Any, ...]:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    return (
        "elsewhere", key, "git", "win", key, now.isoformat(), now.timestamp(), "2026-11-20",
        1.0, "", "[]", "{}", now.timestamp(),
    )  # fmt: skip


GOALS = [
    day_goal("code", "code"),
    Goal(name="sit", sources=("med",), metric="minutes", target=10),
    Goal(name="all", sources=("code", "med"), per="week", target=5),
    Goal(name="deep", sources=("med",), tags=("deep",)),
]


def record_scan(ledger: Ledger, coach: Coach, source: str, wins: list[Win], now: datetime) -> None:
    scan = ScanInfo(
        name=source,
        label=source,
        noun="win",
        plural="wins",
        private=False,
        first_scan=False,
        history_keys=frozenset(),
        places={},
    )
    Pipeline(ledger, coach, targets_for).record_wins(scan, "test", wins, now=now.astimezone(UTC))


def fresh(ledger: Ledger, now: datetime) -> Coach:
    coach = coach_for(GOALS)
    ledger.read(lambda view: coach.load(view, now.astimezone(UTC)))
    return coach


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_coach_that_catches_up_counts_as_one_that_counted_everything_again(
    machines: tuple[Ledger, Ledger], seed: int
) -> None:
    """Two machines take turns recording over two weeks (late wins on closed days, wins on
    the other machine's days, an amended win among them); neither ticks its clock, as a
    machine that does not lead never does. After each recording, that machine's coach sees
    each goal as a coach loaded from the ledger there and then does."""
    rng = random.Random(seed)
    coaches = {ledger.machine: coach_for(GOALS) for ledger in machines}
    start = local(MONDAY, 8)
    for source in ("code", "med"):
        # History first: each goal's days before today closed at load (a first win of all
        # on a day before today is a case of its own: it waits for the lead's clock).
        past = [
            Win(f"old-{source}-{n}", "old", start - timedelta(days=n), value=10, tags=("deep",))
            for n in (2, 5)
        ]
        machines[0].record(source, "test", past, None, zone=BERLIN, day_starts_at=dtime(4))
    for ledger in machines:
        ledger.read(lambda view, c=coaches[ledger.machine]: c.load(view, start.astimezone(UTC)))
    clock = start
    for step in range(50):
        clock += timedelta(hours=rng.choice([1, 2, 5, 11]))
        ledger = rng.choice(machines)
        coach = coaches[ledger.machine]
        source = rng.choice(["code", "med"])
        wins = []
        for n in range(rng.choice([1, 1, 2, 3])):
            late = rng.random() < 0.15
            when = clock - timedelta(days=rng.randint(1, 3) if late else 0, minutes=n)
            tags = ("deep",) if rng.random() < 0.5 else ()
            wins.append(
                Win(f"{step}-{n}", f"win {step}", when, value=rng.randint(1, 25), tags=tags)
            )
        if step == 30:
            other = next(m for m in machines if m is not ledger)
            other.amend("med", withdrawn=["5-0", "6-0"], zone=BERLIN, day_starts_at=dtime(4))
        record_scan(ledger, coach, source, wins, clock)
        today = coach.schedule.today(clock)
        check = fresh(ledger, clock)
        for goal in GOALS:
            got, want = coach.trackers[goal.name], check.trackers[goal.name]
            assert (got.days, got.total_count, got.total_value) == (
                want.days,
                want.total_count,
                want.total_value,
            ), f"step {step}, goal {goal.name}"
            assert got.snapshot(today) == want.snapshot(today), f"step {step}, goal {goal.name}"


def test_another_machine_s_win_of_yesterday_is_closed_as_a_load_would_in_a_goal_new_today(
    machines: tuple[Ledger, Ledger],
) -> None:
    """The goal has no wins when the desktop's coach loads; the laptop's win of Monday night
    reaches it on Tuesday. A coach loaded then closes Monday: a streak of 2 with Tuesday's."""
    laptop, desktop = machines
    monday = local(MONDAY, 8)
    coaches = {m.machine: coach_for(GOALS) for m in machines}
    for ledger in machines:
        ledger.read(lambda view, c=coaches[ledger.machine]: c.load(view, monday.astimezone(UTC)))
    night = local(MONDAY, 22)
    record_scan(laptop, coaches["m-one"], "code", [Win("mon", "monday", night)], night)
    tuesday = local(MONDAY + timedelta(days=1), 9)
    record_scan(desktop, coaches["m-two"], "code", [Win("tue", "tuesday", tuesday)], tuesday)
    got, want = coaches["m-two"].trackers["code"], fresh(desktop, tuesday).trackers["code"]
    today = MONDAY + timedelta(days=1)
    assert got.closed_through == want.closed_through == MONDAY
    assert got.snapshot(today) == want.snapshot(today)
    assert got.snapshot(today).streak == 2
