"""Every built-in wording, filled the way the rules and the coach fill it, read as a person
would: with awkward source names and with counts of 0, 1, 2 and 1,234."""

from __future__ import annotations

import json
import os
import re
import subprocess
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from smallwins_plugins.coaching import SCAN_WORDS, TEMPLATES
from smallwins_plugins.coaching.digests import Digests
from smallwins_plugins.coaching.rules import amount, base_values
from smallwins_plugins.coaching.words import counted
from smallwins_plugins.meditation.detector import MeditationDetector

from smallwins import Detector, DigestEvent, Goal, Progress, Win, message
from smallwins.coach.celebration import ScanInfo, burst_words, celebration_words
from smallwins.coach.coach import Coach, build_coach
from smallwins.config import Settings, SourceSettings
from smallwins.plugins.source import Source
from smallwins.testing import Harness, run_cli
from tests.histories import builtin

WORDS = builtin().templates
NAMES = ("here", "x", "My Stuff", "code-2")
COUNTS = (0, 1, 2, 1234)
NOUNS = (("commit", "commits"), ("session", "sessions"), ("activity", "activities"))
DAY = date(2026, 3, 14)  # a Saturday

# "1 days", "1 commits", "1 activities": a one that is followed by a plural.
PLURALS = {"days", "weeks", "hours", "wins"} | {many for _, many in NOUNS}
ONE_PLURAL = re.compile(r"(?<![\d,.])1 (?:\S+ )?(" + "|".join(sorted(PLURALS)) + r")\b")


def coach_of(name: str, noun: tuple[str, str]) -> tuple[Coach, Source]:
    """The coach smallwins builds for one source called ``name`` whose wins are ``noun``."""
    detector_cls = type(
        "Things", (Detector,), {"name": "things", "noun": noun[0], "plural": noun[1]}
    )
    source = Source(name, detector_cls(name, detector_cls.Options()), SourceSettings(detector="t"))
    plugins = builtin()
    return build_coach(Settings(), [source], plugins.rules, plugins.templates), source


def raw_name(name: str) -> re.Pattern[str]:
    """The source's name dropped into a sentence as it is written in the config."""
    return re.compile(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])")


def progress(goal: Goal, n: int) -> Progress:
    return Progress(
        goal=goal,
        today=DAY,
        today_value=n,
        week_value=n,
        target=goal.target,
        streak=n,
        streak_start=DAY - timedelta(days=n),
        best_streak=n,
        strength=0.85,
        total_count=n,
        total_value=n,
        best_single=n,
        best_day=n,
        best_week=n,
        baseline=None,
        history_days=n,
        last_win_title="Add vdir support",
        last_win_at=datetime(2026, 3, 13, 9, tzinfo=UTC),
        last_win_value=1,
        last_seven=(1.0,) * 7,
        last_win_day=DAY - timedelta(days=1),
    )


def rule_values(kind: str, goal: Goal, n: int) -> dict[str, Any]:
    """What the rule behind ``kind`` fills its wording with, at a count of ``n``."""
    base = base_values(progress(goal, n))
    unit = {"day": ("day", "days"), "week": ("week", "weeks")}[goal.per]
    per = f"a {goal.per}"
    extra: dict[str, Any] = {
        "streak": {"n": n, "unit": counted(n, *unit).split(" ", 1)[1], "unit1": unit[0]},
        "limit_streak": {
            "n": n,
            "unit": counted(n, *unit).split(" ", 1)[1],
            "unit1": unit[0],
            "per": per,
        },
        "total": {
            "n": f"{n:,}",
            "what": goal.noun if n == 1 else goal.plural,
            "days": n,
            "history": counted(n, "day", "days"),
        },
        "personal_best": {
            "label": "Biggest day yet",
            "value": amount(goal, n + 1),
            "previous": amount(goal, n),
        },
        "comeback": {"gap": n, "gap_days": counted(n, "day", "days")},
        "long_session": {
            "value": amount(goal, 5 * n + 150),
            "usual": amount(goal, n + 30),
            "times": "5.1",
            "ago": counted(n + 1, "year", "years"),
        },
        "marginal_gain": {
            "percent": max(1, n),
            "value": amount(goal, n + 1),
            "baseline": amount(goal, n),
        },
        "level_up": {
            "before": amount(goal, n),
            "after": amount(goal, n + 1),
            "per": per,
            "met": n,
            "active": n,
            "active_days": counted(n, "day", "days"),
        },
        "setback": {"day": "Friday"},
        "never_miss_twice": {"day": "Friday"},
    }[kind]
    return {**base, **extra}


def digest_values(coach: Coach, name: str, n: int, weekly: bool) -> dict[str, Any]:
    """What the digest rule fills its wording with, for ``n`` wins of source ``name``."""
    (goal,) = coach.goals
    at = datetime(2026, 3, 14, 9, tzinfo=UTC)
    event = DigestEvent(
        DAY,
        weekly,
        (progress(goal, n),),
        tuple((name, "walking", "a walk", 1.0) for _ in range(n)),
        ("Friday was quiet.",),
        at,
        coach.source_words,
    )
    (tell,) = Digests().on_digest(event)
    return dict(tell.values)


def rendered() -> list[tuple[str, str, int, str, str]]:
    """(kind, source name, count, title, body) for every variant of every kind."""
    out = []
    for name in NAMES:
        for noun in NOUNS:
            coach, source = coach_of(name, noun)
            (goal,) = coach.goals
            scan = ScanInfo.of(source, [], first_scan=False)
            for n in COUNTS:
                for kind in TEMPLATES:
                    if kind in ("digest", "weekly_digest"):
                        values = digest_values(coach, name, n, kind == "weekly_digest")
                    else:
                        values = rule_values(kind, goal, n)
                    for variant in WORDS.variants(kind):
                        title = variant.title.format_map(values)
                        body = variant.body.format_map(values)
                        out.append((kind, name, n, title, body))
                payload = {
                    "source": name,
                    "label": scan.called,
                    "place": scan.called,
                    "title": "Add vdir support",
                    "noun": noun[0],
                    "plural": noun[1],
                    "today": max(n, 1),
                    "private": False,
                }
                for private in (False, True):
                    one = {**payload, "private": private}
                    title, body = celebration_words(WORDS, one, f"win:{n}", avoid=None)
                    out.append(("celebration", name, n, title, body))
                    title, body = burst_words(WORDS, [one] * max(n, 1))
                    out.append(("burst", name, n, title, body))
    return out


RENDERED = rendered()


def test_every_kind_is_rendered() -> None:
    assert {kind for kind, *_ in RENDERED} >= set(TEMPLATES) | {"celebration", "burst"}
    assert set(SCAN_WORDS) >= {"celebration", "burst", "summary", "backfill"}


@pytest.mark.parametrize("n", COUNTS)
def test_no_one_is_counted_in_the_plural(n: int) -> None:
    wrong = [
        f"{kind}: {title} | {body}"
        for kind, _name, count, title, body in RENDERED
        if count == n and ONE_PLURAL.search(f"{title} | {body}")
    ]
    assert not wrong, "\n".join(wrong[:10])


def test_a_digest_counts_wins_by_what_the_source_calls_them(tmp_path: Path) -> None:
    """Meditation kinds ("walking") are not nouns: a digest counts sessions."""
    start = datetime(2026, 3, 14, 8, tzinfo=UTC)
    with Harness(now=start) as h:
        h.add_source("sits", MeditationDetector, {"path": str(tmp_path / "log.csv")})
        h.record("sits", [Win("w1", "Walking meditation", start, kind="walking", value=10)])
        told = h.advance(timedelta(hours=13))
    (digest,) = [m for m in told if m.kind == "digest"]
    assert "walking" not in digest.message
    assert "1 session in " in digest.message


def test_a_digest_never_asks_for_what_today_already_holds() -> None:
    """A setback held back on Saturday morning (Friday was quiet in b, the day after a's
    setback) is not the digest's note when Saturday already has a win in b: it would ask for a
    step already taken."""
    monday = datetime(2026, 3, 2, 9, tzinfo=UTC)
    goals = {name: {"sources": [name], "grace_days": 0} for name in ("a", "b")}
    with Harness(now=monday, config={"goals": goals, "digest": "daily"}) as h:
        for d, names in enumerate(["ab", "ab", "ab", "b", "a"]):  # a quiet Thursday, b Friday
            h.advance(monday + timedelta(days=d))
            h.record(names[0], [Win(f"k{d}", f"c{d}", h.now, kind="commit")])
            if len(names) > 1:
                h.record(names[1], [Win(f"j{d}", f"d{d}", h.now, kind="commit")])
        h.advance(datetime(2026, 3, 7, 9, tzinfo=UTC))  # Saturday morning
        held = [m for m in h.moments() if m.group == "deferred"]
        h.record("b", [Win("k5", "c5", datetime(2026, 3, 7, 10, tzinfo=UTC), kind="commit")])
        told = h.advance(datetime(2026, 3, 7, 21, tzinfo=UTC))
    assert [m.goal for m in held] == ["b"], "the budget held b's setback back for the digest"
    (digest,) = [m for m in told if m.kind == "digest"]
    assert held[0].message not in digest.message
    assert digest.payload["note"] == ""


@pytest.mark.parametrize("name", [n for n in NAMES if n != "My Stuff"])
def test_a_source_is_named_by_its_label_never_by_its_raw_name(name: str) -> None:
    """ "Your here total", "sits rested on Monday", "for life": the raw name is no word."""
    pattern = raw_name(name)
    wrong = [
        f"{kind}: {title} | {body}"
        for kind, source, _n, title, body in RENDERED
        if source == name and pattern.search(f"{title} | {body}")
    ]
    assert not wrong, "\n".join(wrong[:10])


@pytest.mark.parametrize(
    ("name", "label"),
    [("here", "Here"), ("x", "X"), ("My Stuff", "My Stuff"), ("code-2", "Code 2")],
)
def test_the_default_label_reads_as_a_name(name: str, label: str) -> None:
    coach, source = coach_of(name, ("commit", "commits"))
    assert source.label == label
    assert coach.goals[0].called == label
    settings = SourceSettings(detector="t", label="my notes")
    assert Source(name, source.detector, settings).label == "my notes"


def test_a_live_win_of_an_awkwardly_named_source_reads_well(tmp_path: Path) -> None:
    """The whole way: a source called ``here`` with no place of its own, its first win
    celebrated and its first total told."""
    start = datetime(2026, 3, 14, 8, tzinfo=UTC)
    with Harness(now=start) as h:
        h.add_source("here", MeditationDetector, {"path": str(tmp_path / "log.csv")})
        h.record("here", [Win("w1", "Evening sit", start, kind="meditation", value=10)])
        told = h.moments()
    texts = [f"{m.title} | {m.message}" for m in told]
    assert {m.kind for m in told} >= {"celebration", "total"}, texts
    assert not [t for t in texts if raw_name("here").search(t)], texts
    assert any("Here" in t for t in texts), texts


@pytest.mark.parametrize("plain", [False, True])
def test_every_title_starts_with_one_emoji_unless_plain(plain: bool) -> None:
    kinds = {kind for kind, *_ in RENDERED} | {"backlog", "system", "a_plugins_own"}
    for kind, _name, _n, title, body in RENDERED:
        final, _ = message.finish(kind, title, body, plain=plain)
        emoji = [c for c in final if unicodedata.category(c) == "So"]
        if plain:
            assert not emoji, (kind, final)
        else:
            assert len(emoji) == 1 and final.startswith(emoji[0] + " "), (kind, final)
    for kind in kinds:
        final, _ = message.finish(kind, "Words", "body", plain=plain)
        assert final == "Words" if plain else final.endswith(" Words") and final != "Words"


def git(repo: Path, *args: str, when: str = "") -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when} if when else None
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def test_replay_shows_each_message_as_it_would_be_sent(tmp_path: Path) -> None:
    """Two commits in one minute are one message (a burst), titles carry their emoji, and
    ``plain = true`` takes them off, as it does for what is sent."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "me@example.com")
    git(repo, "config", "user.name", "Me")
    for n, when in enumerate(["2026-03-02T09:00:00", "2026-03-02T09:00:00", "2026-03-03T09:00:00"]):
        (repo / "f").write_text(str(n))
        git(repo, "add", "f")
        git(repo, "commit", "-qm", f"change {n}", when=f"{when}+00:00")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    config = (
        'timezone = "UTC"\n[sources.here]\ndetector = "git"\n'
        f'repos = ["{repo}"]\nauthors = ["me@example.com"]\n'
    )
    (home / "config.toml").write_text(config)
    assert run_cli("run", "--once", home=home).returncode == 0
    told = json.loads(run_cli("replay", "--json", home=home).stdout)
    first_day = [t for t in told if t["at"].startswith("2026-03-02T09")]
    assert [t["kind"] for t in first_day] == ["burst", "total"], first_day
    assert first_day[0]["title"] == "🚀 2 commits in repo"
    text = run_cli("replay", home=home).stdout
    assert "🌙 " in text and "🎉 Small win in repo | “change 2”" in text, text
    (home / "config.toml").write_text(config.replace('"UTC"\n', '"UTC"\n[notify]\nplain = true\n'))
    plain = run_cli("replay", home=home).stdout
    assert " Small win in repo | “change 2”" in plain and "🎉" not in plain, plain
