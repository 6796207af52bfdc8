"""The ledger's contract: written once, run over every implementation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smallwins import RestDay, Win
from smallwins.api.moment import Moment
from smallwins.api.win import local_day
from smallwins.ledger import Ledger, LedgerNotFound, LedgerView, News, open_ledger
from smallwins.ledger.records import dumps, encoder
from tests.ledgers import IMPLEMENTATIONS

ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
OFFSET = timezone(timedelta(hours=-7, minutes=-30))


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return IMPLEMENTATIONS[request.param](tmp_path)


@pytest.fixture
def ledger(url: str) -> Iterator[Ledger]:
    with open_ledger(url) as opened:
        yield opened


def win(key: str, when: datetime = NOW, **kw: object) -> Win:
    return Win(key=key, title=f"win {key}", occurred_at=when, **kw)  # type: ignore[arg-type]


def record(
    ledger: Ledger, wins: list[Win], cursor: object = None, source: str = "code"
) -> list[str]:
    new = ledger.record(source, "git", wins, cursor, zone=ZONE, day_starts_at=time(4))
    return [w.key for w in new]


def moment(key: str, *, kind: str = "summary", at: datetime = NOW, **kw: object) -> Moment:
    return Moment(kind, key, f"title {key}", f"message {key}", at, at, **kw)  # type: ignore[arg-type]


# -- wins and cursors -------------------------------------------------------------------


def test_a_win_s_words_come_back_as_written_whatever_their_characters(ledger: Ledger) -> None:
    odd = 'NULL {a,b} "quoted" back\\slash, comma; é ✓ \t tab'
    words = [
        Win(key="odd", title=odd, occurred_at=NOW, details={"note": odd}),
        Win(key="NULL", title="NULL", occurred_at=NOW),
    ]
    record(ledger, words)
    found = {w.key: w for w in ledger.wins()}
    assert found["odd"].title == odd and found["odd"].details == {"note": odd}
    assert found["NULL"].title == "NULL"


def test_record_is_idempotent_and_keeps_the_cursor(ledger: Ledger) -> None:
    assert record(ledger, [win("a"), win("b")], {"at": 1}) == ["a", "b"]
    assert record(ledger, [win("a"), win("b"), win("c")], {"at": 2}) == ["c"]
    assert record(ledger, [win("c"), win("c")], {"at": 3}) == []
    assert ledger.count_wins() == 3
    assert ledger.cursor("code") == {"at": 3}
    assert ledger.cursor("other") is None


def test_keys_are_unique_per_source_not_across_sources(ledger: Ledger) -> None:
    assert record(ledger, [win("a")], source="one") == ["a"]
    assert record(ledger, [win("a")], source="two") == ["a"]
    assert ledger.count_wins() == 2
    assert [w.source for w in ledger.wins(sources=["two"])] == ["two"]


def test_a_win_keeps_every_field_and_its_local_day(ledger: Ledger) -> None:
    late = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # 00:30 on the 21st in Berlin
    details = {"place": "~/src/x", "n": 3, "nested": {"a": [1, 2]}}
    record(
        ledger,
        [win("late", late, kind="sit", value=12.5, unit="min", tags=("a", "b"), details=details)],
    )
    (stored,) = ledger.wins()
    assert stored.to_json() == {
        "source": "code",
        "detector": "git",
        "key": "late",
        "kind": "sit",
        "title": "win late",
        "occurred_at": "2026-11-20T23:30:00+00:00",
        "day": "2026-11-20",
        "value": 12.5,
        "unit": "min",
        "tags": ["a", "b"],
        "details": details,
    }


def test_a_batch_filled_as_the_scan_runs_records_as_its_wins_would(ledger: Ledger) -> None:
    details = {"place": "~/src/x", "n": 3}
    first = [win("a", kind="sit", value=2, unit="min", tags=("t",), details=details), win("b")]
    batch = ledger.batch("code", "git", zone=ZONE, day_starts_at=time(4))
    for item in [*first, win("a", value=9)]:  # a key added twice keeps its first win
        batch.add(item)
    assert [w.key for w in batch] == ["a", "b"]
    new = ledger.record("code", "git", batch, {"at": 1}, zone=ZONE, day_starts_at=time(4))
    assert [w.to_json() for w in new] == [w.to_json() for w in ledger.wins()]
    assert [w.id for w in new] == [w.id for w in ledger.wins()]
    assert new[0].value == 2.0 and new[0].details == details and new[0].tags == ("t",)
    # Keys the source recorded before are left out; a batch made for another day start is
    # made again for the one the record names.
    again = ledger.batch("code", "git", zone=ZONE, day_starts_at=time(0))
    late = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)  # 02:30 in Berlin: before a 04:00 start
    for item in [win("b"), win("c", late)]:
        again.add(item)
    (stored,) = ledger.record("code", "git", again, None, zone=ZONE, day_starts_at=time(4))
    assert (stored.key, stored.day) == ("c", date(2026, 11, 19))
    assert ledger.count_wins() == 3


@pytest.mark.parametrize(
    ("zone", "start", "span", "step"),
    [
        ("Europe/Berlin", datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=366), 97),
        ("Australia/Lord_Howe", datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=366), 97),
        ("Asia/Kathmandu", datetime(1985, 12, 31, tzinfo=UTC), timedelta(days=2), 7),
        ("Pacific/Apia", datetime(2011, 12, 28, tzinfo=UTC), timedelta(days=4), 7),
        # Paris mean time for Algiers from 23:47:48 UTC, 15 March 1891 (its clocks went back
        # from 00:00 to 23:57:09): an offset change off the quarter hour, next to midnight.
        ("Africa/Algiers", datetime(1891, 3, 15, 22, tzinfo=UTC), timedelta(hours=4), 1),
    ],
)
def test_a_batch_dates_each_win_by_the_local_day_through_offset_changes(
    ledger: Ledger, zone: str, start: datetime, span: timedelta, step: int
) -> None:
    where = ZoneInfo(zone)
    times = [start + timedelta(minutes=n, seconds=n % 60) for n in range(0, span // MINUTE, step)]
    # Given in three ways: UTC, the zone itself and a fixed offset (what fromisoformat gives).
    given = [
        at if n % 3 == 0 else at.astimezone(where) if n % 3 == 1 else at.astimezone(OFFSET)
        for n, at in enumerate(times)
    ]
    for day_start in (time(0), time(4), time(23, 30)):
        source = f"s{day_start.hour}"
        batch = ledger.batch(source, "git", zone=where, day_starts_at=day_start)
        for n, at in enumerate(given):
            batch.add(win(str(n), at))
        stored = ledger.record(source, "git", batch, None, zone=where, day_starts_at=day_start)
        assert [w.day for w in stored] == [local_day(at, where, day_start) for at in given]
        assert [w.day for w in ledger.wins(sources=[source])] == [w.day for w in stored]


def test_wins_by_time_source_days_and_limit(ledger: Ledger) -> None:
    record(ledger, [win(f"c{n}", NOW + timedelta(days=n)) for n in range(5)])
    record(ledger, [win("m0", NOW + timedelta(hours=1))], source="sits")
    keys = [w.key for w in ledger.wins()]
    assert keys == ["c0", "m0", "c1", "c2", "c3", "c4"]
    assert [w.key for w in ledger.wins(newest_first=True, limit=2)] == ["c4", "c3"]
    assert [w.key for w in ledger.wins(since=NOW + timedelta(days=3))] == ["c3", "c4"]
    assert [w.key for w in ledger.wins(sources=["sits"])] == ["m0"]
    first, last = date(2026, 11, 21), date(2026, 11, 22)
    assert [w.key for w in ledger.wins(days=(first, last))] == ["c1", "c2"]
    ids = [w.id for w in ledger.wins(sources=["code"])]
    assert [w.key for w in ledger.wins(sources=["code"], excluding=ids[:4])] == ["c4"]


def test_counts_and_day_totals(ledger: Ledger) -> None:
    record(ledger, [win("a", NOW, value=10), win("b", NOW + timedelta(hours=1), value=5)])
    record(ledger, [win("c", NOW + timedelta(days=1), kind="sit", value=7, tags=("x",))])
    assert ledger.count_wins("code", day=date(2026, 11, 20)) == 2
    assert ledger.count_wins("code", until=NOW) == 1
    assert ledger.count_wins("elsewhere") == 0
    totals = sorted(ledger.day_totals(["code"]), key=lambda t: t.day)
    assert [(t.day.day, t.kind, t.count, t.total, t.largest) for t in totals] == [
        (20, "win", 2, 15.0, 10.0),
        (21, "sit", 1, 7.0, 7.0),
    ]
    marks = ledger.win_marks(["code"])
    assert sorted((m.day.day, m.kind, m.value, m.tags) for m in marks) == [
        (20, "win", 5.0, ()),
        (20, "win", 10.0, ()),
        (21, "sit", 7.0, ("x",)),
    ]


def test_news_since_a_mark_is_what_was_recorded_after_it_oldest_first(ledger: Ledger) -> None:
    start = ledger.news_mark()
    assert ledger.news_since(start) == News(start, [], frozenset())
    record(ledger, [win("a", NOW + MINUTE), win("b", NOW)])
    middle = ledger.news_mark()
    (c,) = ledger.record(
        "journal", "journal", [win("c", NOW - MINUTE)], None, zone=ZONE, day_starts_at=time(4)
    )
    news = ledger.news_since(start)
    assert [w.key for w in news.wins] == ["c", "b", "a"]  # by when they happened
    assert news.mark == ledger.news_mark() > middle > start and not news.redrawn
    assert [w.key for w in ledger.news_since(middle).wins] == ["c"]
    assert ledger.news_since(middle, excluding=[c.id]).wins == []
    assert ledger.news_since(news.mark) == News(news.mark, [], frozenset())


def test_amend_revises_a_win_in_place_and_takes_one_back(ledger: Ledger) -> None:
    record(ledger, [win("a", NOW), win("b", NOW), win("c", NOW)], source="journal")
    before = {w.key: w.id for w in ledger.wins()}
    later = NOW + timedelta(days=1)
    edited = Win("a", "an edited title", later, value=20, unit="min", tags=("work",))
    changed = ledger.amend(
        "journal", revised=[edited], withdrawn=["b", "never"], zone=ZONE, day_starts_at=time(4)
    )
    assert changed == 2
    wins = {w.key: w for w in ledger.wins()}
    assert sorted(wins) == ["a", "c"]
    a = wins["a"]
    assert a.id == before["a"]  # the same win, not a new one
    assert (a.title, a.occurred_at, a.day, a.value, a.unit, a.tags) == (
        "an edited title",
        later,
        date(2026, 11, 21),
        20.0,
        "min",
        ("work",),
    )
    assert ledger.count_wins("journal") == 2
    # Amending again changes nothing more; recording the edited win again adds nothing.
    assert ledger.amend("journal", withdrawn=["b"], zone=ZONE, day_starts_at=time(4)) == 0
    assert record(ledger, [edited], source="journal") == []
    # Another source's win of the same key is not touched.
    record(ledger, [win("c", NOW)], source="code")
    ledger.amend("journal", withdrawn=["c"], zone=ZONE, day_starts_at=time(4))
    assert [(w.source, w.key) for w in ledger.wins()] == [("code", "c"), ("journal", "a")]


def test_a_failing_moment_rolls_back_the_wins_and_the_cursor(ledger: Ledger) -> None:
    def broken(view: LedgerView, new: object) -> list[Moment]:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        ledger.record(
            "code",
            "git",
            [win("a")],
            {"at": 9},
            zone=ZONE,
            day_starts_at=time(4),
            moments_for=broken,
        )
    assert ledger.count_wins() == 0
    assert ledger.cursor("code") is None
    assert record(ledger, [win("a")], {"at": 10}) == ["a"]


def test_the_coach_sees_the_wins_being_recorded_and_its_moments_land_with_them(
    ledger: Ledger,
) -> None:
    seen: list[int] = []

    def tell(view: LedgerView, new: list[object]) -> list[Moment]:
        seen.append(view.count_wins("code"))
        return [moment(f"win:{w.key}", kind="celebration", group="g") for w in new]  # type: ignore[attr-defined]

    ledger.record(
        "code",
        "git",
        [win("a"), win("b")],
        None,
        zone=ZONE,
        day_starts_at=time(4),
        moments_for=tell,
        targets_for=lambda m: ["t"],
    )
    assert seen == [2]
    assert [m.dedupe_key for m in ledger.moments()] == ["win:a", "win:b"]
    assert [d.moment.dedupe_key for d in ledger.due(NOW, ["t"])] == ["win:a", "win:b"]


def test_rest_days_replace_the_sources_own(ledger: Ledger) -> None:
    day = date(2026, 11, 20)
    rests = [RestDay(day, "holiday"), RestDay(day + timedelta(days=2), "ill")]
    ledger.record("cal", "calendar", [], None, zone=ZONE, day_starts_at=time(4), rest_days=rests)
    ledger.record(
        "other", "calendar", [], None, zone=ZONE, day_starts_at=time(4), rest_days=rests[:1]
    )
    assert [(s, r.reason) for s, r in ledger.rest_days(sources=["cal"])] == [
        ("cal", "holiday"),
        ("cal", "ill"),
    ]
    ledger.record(
        "cal", "calendar", [], None, zone=ZONE, day_starts_at=time(4), rest_days=rests[1:]
    )
    assert [r.reason for _, r in ledger.rest_days(sources=["cal"])] == ["ill"]
    assert len(ledger.rest_days(since=day, until=day)) == 1


def test_scans_are_noted_with_failures_in_a_row(ledger: Ledger) -> None:
    assert ledger.note_scan("code", "git", error="boom") == 1
    assert ledger.note_scan("code", "git", error="boom", paused_until=NOW) == 2
    state = ledger.source_state("code")
    assert state is not None and state.failures == 2 and state.paused_until == NOW
    assert state.last_ok_at is None and state.last_error == "boom"
    assert ledger.note_scan("code", "git", error=None, problems=["p1"]) == 0
    record(ledger, [win("a")])
    (state,) = ledger.source_states()
    assert (state.failures, state.last_error, state.problems, state.wins) == (0, None, ["p1"], 1)
    assert state.last_ok_at is not None
    assert ledger.source_state("nothing") is None


# -- moments and the outbox ---------------------------------------------------------------


def test_a_dedupe_key_is_told_once(ledger: Ledger) -> None:
    assert ledger.add_moment(moment("summary:code"), ["a", "b"])
    assert not ledger.add_moment(moment("summary:code"), ["a"])
    assert ledger.moment_told("summary:code") and not ledger.moment_told("other")
    told = ledger.tell(lambda view: [moment("summary:code"), moment("x")], lambda m: ["a"])
    assert [m.dedupe_key for m in told] == ["x"]
    assert ledger.outbox_targets(told[0].id or 0) == ["a"]


def test_moments_told_together_keep_their_order_and_a_key_twice_is_told_once(
    ledger: Ledger,
) -> None:
    made = [moment("y"), moment("x"), moment("y"), moment("z"), moment("none")]
    targets = {"y": ["a", "b"], "x": ["b"], "z": ["a"], "none": []}
    told = ledger.tell(lambda view: made, lambda m: targets[m.dedupe_key])
    assert [m.dedupe_key for m in told] == ["y", "x", "z", "none"]
    assert told[0] is made[0] and made[2].id is None
    ids = [m.id or 0 for m in told]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert [m.dedupe_key for m in ledger.moments()] == ["y", "x", "z", "none"]
    for m in told:
        assert sorted(ledger.outbox_targets(m.id or 0)) == targets[m.dedupe_key]


def test_experiments_are_declared_stopped_and_taken_back(url: str) -> None:
    with open_ledger(url) as ledger:
        sits = ledger.add_experiment("sit before coffee", "code", date(2026, 11, 1), 14)
        walk = ledger.add_experiment("walk first", "sits", date(2026, 10, 20), 7)
        late = ledger.add_experiment("no phone", "code", date(2026, 11, 10), 3)
        assert sits.last_day == date(2026, 11, 14)
        assert [e.name for e in ledger.experiments()] == [
            "walk first",
            "sit before coffee",
            "no phone",
        ]
        assert ledger.read(lambda view: [e.name for e in view.experiments("code")]) == [
            "sit before coffee",
            "no phone",
        ]
        ledger.stop_experiment(sits.id, date(2026, 11, 5))
        ledger.remove_experiment(late.id)
    with open_ledger(url) as reopened:
        kept = reopened.experiments()
    assert [(e.id, e.name, e.goal, e.start, e.days, e.stopped) for e in kept] == [
        (walk.id, "walk first", "sits", date(2026, 10, 20), 7, None),
        (sits.id, "sit before coffee", "code", date(2026, 11, 1), 14, date(2026, 11, 5)),
    ]
    assert kept[1].last_day == date(2026, 11, 5)


def test_the_outbox_claims_acks_and_backs_off(ledger: Ledger) -> None:
    ledger.add_moment(moment("m"), ["a", "b"])
    due = ledger.due(NOW, ["a", "b"])
    assert [d.target for d in due] == ["a", "b"] and due[0].attempts == 0
    assert ledger.due(NOW - timedelta(seconds=1), ["a", "b"]) == []
    assert ledger.mark_failed([due[0].outbox_id], "a", "down", NOW + timedelta(minutes=1)) == 1
    ledger.mark_sent([due[1].outbox_id], "b")
    assert ledger.due(NOW, ["a", "b"]) == []
    assert ledger.next_due(["a"]) == NOW + timedelta(minutes=1)
    (again,) = ledger.due(NOW + timedelta(minutes=2), ["a", "b"])
    assert (again.target, again.attempts) == ("a", 1)
    assert ledger.outbox_counts() == {"pending": 1, "failed": 1}
    assert ledger.mark_failed([again.outbox_id], "a", "down", NOW + timedelta(minutes=5)) == 2
    assert ledger.target_failures("a") == 2
    states = {t.name: t for t in ledger.target_states()}
    assert states["a"].failures == 2 and states["a"].last_error == "down"
    assert states["b"].failures == 0 and states["b"].last_ok_at is not None
    ledger.mark_sent([again.outbox_id], "a")
    assert ledger.outbox_counts() == {"pending": 0, "failed": 0}
    assert ledger.target_failures("a") == 0
    assert ledger.next_due(["a", "b"]) is None


def test_unsent_rows_are_those_pending_held_back_or_frozen_whenever_due(ledger: Ledger) -> None:
    ledger.add_moment(moment("m"), ["a", "b", "c", "d"])
    ledger.add_moment(moment("later", at=NOW + timedelta(hours=2)), ["a"])
    rows = {d.target: d.outbox_id for d in ledger.due(NOW, ["a", "b", "c", "d"])}
    ledger.mark_sent([rows["a"]], "a")
    ledger.mark_failed([rows["b"]], "b", "down", NOW + timedelta(hours=1))  # b is held
    ledger.freeze([rows["c"]], "c", kind="m", category="celebration", title="t", body="b")
    unsent = ledger.unsent()
    assert [(r.moment.dedupe_key, r.target) for r in unsent] == [
        ("m", "b"),
        ("m", "c"),
        ("m", "d"),
        ("later", "a"),
    ]
    assert [r.attempts for r in unsent] == [1, 0, 0, 0]
    assert unsent[0].outbox_id == rows["b"]


def test_a_frozen_message_keeps_its_words_until_sent_or_certainly_failed(
    ledger: Ledger,
) -> None:
    ledger.add_moment(moment("m1", group="burst:code"), ["a"])
    ledger.add_moment(moment("m2", group="burst:code"), ["a"])
    rows = [d.outbox_id for d in ledger.due(NOW, ["a"])]
    send_id = ledger.freeze(
        rows, "a", kind="burst", category="celebration", title="2 wins", body="m1; m2"
    )
    assert ledger.due(NOW, ["a"]) == []  # out of what is composed anew
    (frozen,) = ledger.frozen(NOW, ["a"])
    assert (frozen.send_id, frozen.outbox_ids) == (send_id, tuple(rows))
    assert (frozen.kind, frozen.category, frozen.title, frozen.body) == (
        "burst",
        "celebration",
        "2 wins",
        "m1; m2",
    )
    assert ledger.outbox_counts() == {"pending": 2, "failed": 0}
    ledger.add_moment(moment("m3", group="burst:code"), ["a"])
    assert ledger.burst_started("burst:code") == NOW  # a new burst, without the frozen rows
    # An unknown outcome (no answer in time): frozen still, the target held.
    retry = NOW + timedelta(minutes=1)
    ledger.mark_failed(rows, "a", "no answer", retry, thaw=False)
    assert ledger.frozen(NOW, ["a"]) == []
    assert ledger.next_due(["a"]) == retry
    (again,) = ledger.frozen(retry, ["a"])
    assert again.body == "m1; m2"
    assert [d.moment.dedupe_key for d in ledger.due(retry, ["a"])] == ["m3"]
    # A certain failure (refused): the rows are pending again, composed with the rest.
    ledger.mark_failed(rows, "a", "refused", retry)
    assert ledger.frozen(retry, ["a"]) == []
    assert [d.moment.dedupe_key for d in ledger.due(retry, ["a"])] == ["m1", "m2", "m3"]
    rows = [d.outbox_id for d in ledger.due(retry, ["a"])]
    ledger.freeze(rows, "a", kind="burst", category="celebration", title="3", body="all")
    ledger.mark_sent(rows, "a")
    assert ledger.frozen(retry, ["a"]) == [] and ledger.due(retry, ["a"]) == []
    assert ledger.outbox_counts() == {"pending": 0, "failed": 0}
    assert ledger.next_due(["a"]) is None


def test_a_frozen_digest_keeps_the_numbers_of_its_picture(ledger: Ledger) -> None:
    numbers = {"week": "2026-11-23", "goals": [{"name": "sits", "values": [1, 0, 2.5]}]}
    ledger.add_moment(moment("w1", category="digest", payload={"picture": numbers}), ["a"])
    ledger.add_moment(moment("d1", category="digest"), ["a"])
    (with_picture, words) = [d.outbox_id for d in ledger.due(NOW, ["a"])]
    ledger.freeze([with_picture], "a", kind="weekly_digest", category="digest", title="W", body="w")
    ledger.freeze([words], "a", kind="digest", category="digest", title="D", body="d")
    assert [f.picture for f in ledger.frozen(NOW, ["a"])] == [numbers, None]
    # A fold of several moments never had a picture, whatever its moments hold.
    ledger.mark_failed([with_picture, words], "a", "refused", NOW)
    rows = [d.outbox_id for d in ledger.due(NOW, ["a"])]
    ledger.freeze(rows, "a", kind="backlog", category="digest", title="2", body="both")
    (fold,) = ledger.frozen(NOW, ["a"])
    assert fold.picture is None


def test_when_each_moment_of_a_kind_about_a_goal_was_made(ledger: Ledger) -> None:
    later = NOW + timedelta(days=7)
    ledger.add_moment(moment("g2", kind="marginal_gain", goal="sits", at=later), ["t"])
    ledger.add_moment(moment("g1", kind="marginal_gain", goal="sits"), ["t"])
    ledger.add_moment(moment("g3", kind="marginal_gain", goal="code"), ["t"])
    ledger.add_moment(moment("l1", kind="level_up", goal="sits"), ["t"])
    assert ledger.times_told("marginal_gain", "sits") == [NOW, later]
    assert ledger.times_told("marginal_gain", "reading") == []


def test_what_the_coach_asks_of_moments(ledger: Ledger) -> None:
    later = NOW + timedelta(days=1)
    ledger.add_moment(moment("c1", kind="celebration", category="celebration"), ["t"])
    ledger.add_moment(moment("s1", kind="setback", category="setback", goal="g"), ["t"])
    ledger.add_moment(
        moment("s2", kind="setback", category="setback", goal="g", at=later, group="deferred"),
        [],
    )
    ledger.add_moment(moment("c2", kind="celebration", category="celebration", at=later), ["t"])
    ledger.add_moment(moment("d1", kind="digest", category="digest", at=later), ["t"])
    assert ledger.last_words("setback") == ("title s1", "message s1")  # held back: not told
    assert ledger.last_words("nothing") is None
    assert ledger.last_told_at("setback", "g") == later
    assert ledger.last_told_at("setback", None) is None
    assert ledger.last_setback("g") == NOW
    assert ledger.last_setback(None) is None
    mark = ledger.last_setback_any()
    assert mark is not None and (mark.due_at, mark.created_at) == (NOW, NOW)
    assert ledger.count_celebrations(None) == 2
    assert ledger.count_celebrations(NOW) == 1
    assert ledger.last_digest_at() == later
    assert ledger.held_back(None) == ["message s2"]
    assert ledger.held_back(later) == []


def test_a_burst_waits_together_until_tried(ledger: Ledger) -> None:
    first = moment("w1", kind="celebration", group="burst:code")
    ledger.add_moment(first, ["t"])
    ledger.add_moment(
        moment("w2", kind="celebration", group="burst:code", at=NOW + timedelta(seconds=5)), ["t"]
    )
    assert ledger.burst_started("burst:code") == NOW
    assert ledger.burst_started("burst:other") is None
    ledger.tell(
        lambda view: (view.move_burst("burst:code", NOW + timedelta(seconds=9)), [])[1],
        lambda m: [],
    )
    assert [d.moment.due_at for d in ledger.due(NOW + timedelta(seconds=9), ["t"])] == [
        NOW + timedelta(seconds=9)
    ] * 2
    (tried, _) = ledger.due(NOW + timedelta(seconds=9), ["t"])
    ledger.mark_failed([tried.outbox_id], "t", "down", NOW)
    assert ledger.burst_started("burst:code") == NOW + timedelta(seconds=5)


# -- opening and reading ------------------------------------------------------------------


def test_a_reader_finds_nothing_before_the_first_write(url: str) -> None:
    with pytest.raises(LedgerNotFound):
        open_ledger(url, readonly=True)
    with open_ledger(url) as ledger:
        record(ledger, [win("a")])
    with open_ledger(url, readonly=True) as reader:
        assert [w.key for w in reader.wins()] == ["a"]
        assert "ledger" in reader.location


def test_reopening_keeps_everything(url: str) -> None:
    with open_ledger(url) as ledger:
        record(ledger, [win("a")], {"at": 1})
        ledger.add_moment(moment("m"), ["t"])
        version = ledger.schema_version
    with open_ledger(url) as ledger:
        assert ledger.schema_version == version
        assert ledger.cursor("code") == {"at": 1}
        assert [m.dedupe_key for m in ledger.moments()] == ["m"]
        assert record(ledger, [win("a")]) == []


def test_concurrent_readers_never_see_half_a_scan(url: str) -> None:
    batches, size = 30, 50
    with open_ledger(url) as writer:
        record(writer, [win("seed")])
        seen: list[int] = []
        problems: list[BaseException] = []
        done = threading.Event()

        def read() -> None:
            try:
                with open_ledger(url, readonly=True) as reader:
                    while not done.is_set():
                        seen.append(reader.count_wins())
            except BaseException as exc:  # reported below, in the test's thread
                problems.append(exc)

        readers = [threading.Thread(target=read) for _ in range(3)]
        for thread in readers:
            thread.start()
        for batch in range(batches):
            record(writer, [win(f"{batch}-{n}") for n in range(size)])
        done.set()
        for thread in readers:
            thread.join(10)
    assert not problems
    assert seen and all((count - 1) % size == 0 for count in seen)
    assert max(seen) <= 1 + batches * size


# -- what both keep alike -----------------------------------------------------------------


def test_the_encoder_made_once_writes_what_dumps_writes_and_survives_a_failure() -> None:
    encode = encoder()
    values = [
        {"place": "~/src/é", "n": 3, "x": 2.5, "inf": float("inf"), "none": None, 1: "key"},
        ["a", ("b", "c"), {date(2026, 11, 20)}, datetime(2026, 11, 20, 12, tzinfo=UTC)],
        'quotes " and \\ and \n',
        7,
    ]
    assert [encode(v) for v in values] == [dumps(v) for v in values]
    looped: list[object] = []
    looped.append(looped)
    for _ in range(2):
        with pytest.raises(ValueError, match="Circular reference"):
            encode({"loop": looped})
    # A value that failed part way is not taken for a loop when it comes again, mended.
    details: dict[str, object] = {"n": 1, "bad": Unprintable()}
    with pytest.raises(RuntimeError):
        encode(details)
    del details["bad"]
    assert encode(details) == '{"n":1}'


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no words for this")


# -- machines and the lead -------------------------------------------------------------


def test_a_machine_joins_is_listed_and_leads_alone(ledger: Ledger) -> None:
    assert ledger.machine == ""
    assert ledger.join("m-one", "laptop")
    assert ledger.machine == "m-one"
    assert ledger.heartbeat(30)
    assert ledger.lead() == "m-one"
    assert ledger.join("m-one", "laptop.home")  # a restart of the same machine
    (listed,) = ledger.machines()
    assert (listed.id, listed.label) == ("m-one", "laptop.home")
    assert listed.first_seen <= listed.last_contact
    assert listed.to_json()["id"] == "m-one"


def test_each_machine_keeps_its_own_cursors(url: str) -> None:
    with open_ledger(url) as first:
        first.join("m-one", "laptop")
        record(first, [win("a")], {"at": 1})
        if not first.shared:
            # A file has one daemon at a time: its cursors are the one machine's.
            assert first.cursor("code") == {"at": 1}
            return
    with open_ledger(url) as second:
        second.join("m-two", "desktop")
        assert second.cursor("code") is None
        assert record(second, [win("a"), win("b")], {"at": 2}) == ["b"]
        assert second.cursor("code") == {"at": 2}
    with open_ledger(url) as again:
        again.join("m-one", "laptop")
        assert again.cursor("code") == {"at": 1}
        assert {m.id for m in again.machines()} == {"m-one", "m-two"}
