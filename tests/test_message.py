from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from smallwins import message
from smallwins.api.wording import Templates
from smallwins.coach.celebration import ScanInfo, burst_words, celebration_words, summary_moment
from smallwins.ledger import StoredWin
from tests.histories import builtin

WORDS = builtin().templates


def celebration(payload: dict[str, object], templates: Templates = WORDS) -> tuple[str, str]:
    return celebration_words(templates, payload, "win:test:1", avoid=None)


GUILT = ("failed", "broke", "lost", "missed out", "should")

payloads = st.fixed_dictionaries(
    {
        "source": st.text(min_size=1, max_size=30),
        "place": st.text(min_size=1, max_size=80),
        "title": st.text(max_size=300),
        "noun": st.sampled_from(["commit", "session", "win"]),
        "plural": st.sampled_from(["commits", "sessions", "wins"]),
        "today": st.integers(min_value=1, max_value=10_000),
        "private": st.booleans(),
    }
)


def check_voice(kind: str, title: str, body: str, plain: bool) -> None:
    final_title, final_body = message.finish(kind, title, body, plain=plain)
    assert len(final_title) <= message.TITLE_MAX
    assert len(final_body) <= message.BODY_MAX
    if plain:
        assert not any(e in final_title for e in message.EMOJI.values())
    else:
        assert final_title.startswith(message.EMOJI[kind])


@given(payloads, st.booleans())
def test_a_celebration_fits_a_banner(payload: dict[str, object], plain: bool) -> None:
    title, body = celebration(payload)
    check_voice("celebration", title, body, plain)
    if payload["private"]:
        assert body == f"A new {payload['noun']}: your {message.ordinal(payload['today'])} today."


def test_a_private_source_is_told_by_count_and_kind_only() -> None:
    secret = {"place": "work", "title": "Acquire Initech", "noun": "commit", "private": True}
    title, body = celebration({**secret, "today": 2})
    assert "Initech" not in title + body
    title, body = burst_words(WORDS, [{**secret, "plural": "commits", "source": "work"}] * 3)
    assert "Initech" not in title + body and body == "3 new commits just now."


@given(st.lists(payloads, min_size=2, max_size=30), st.booleans())
def test_a_burst_fits_a_banner(items: list[dict[str, object]], plain: bool) -> None:
    title, body = burst_words(WORDS, items)
    check_voice("burst", title, body, plain)
    assert title.startswith(f"{len(items)} ")


def test_the_voice_of_the_examples() -> None:
    title, body = celebration(
        {"place": "smallwins", "title": "Add vdir support", "noun": "commit", "today": 3}
    )
    assert message.finish("celebration", title, body, plain=False) == (
        "🎉 Small win in smallwins",
        "\u201cAdd vdir support\u201d - your 3rd commit today.",
    )
    history = [
        StoredWin(n, "code", "git", f"k{n}", "commit", "", at, at.date(), 1.0, "", (), {})
        for n, at in enumerate(
            datetime(2019, 3, 1, 12, tzinfo=UTC) + timedelta(days=d)
            for d in [*range(41), *range(50, 50 + 2 * 1199, 2)]
        )
    ]
    scan = ScanInfo("code", "~/src", "commit", "commits", False, True, frozenset(), {})
    told = summary_moment(
        scan, history, templates=WORDS, backfill=False, now=history[-1].occurred_at
    )
    title, body = told.title, told.message
    assert (title, body) == (
        "Watching ~/src",
        "Found 1,240 past commits since 2019; best run 41 days. New ones will be celebrated.",
    )
    for text in (title, body):
        assert not any(word in text.lower() for word in GUILT)


def test_ordinals_and_runs() -> None:
    assert [message.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "111th",
    ]
    days = [date(2026, 1, d) for d in (1, 2, 3, 5, 6, 9)]
    assert message.longest_run(days) == 3
    assert message.longest_run([]) == 0


def test_without_the_coaching_words_a_win_is_still_told_plainly() -> None:
    payload = {"place": "smallwins", "title": "Add vdir support", "noun": "commit", "today": 3}
    assert celebration(payload, Templates()) == ("New commit in smallwins", "Add vdir support")


def test_a_plugin_or_the_config_can_reword_a_celebration() -> None:
    templates = WORDS.copy()
    templates.register("celebration", [("Nice, {nth} today", "{title} in {place}{progress}.")])
    payload = {
        "place": "smallwins",
        "title": "Fix",
        "noun": "commit",
        "today": 2,
        "progress": "2 of 3",
    }
    assert celebration(payload, templates) == ("Nice, 2nd today", "Fix in smallwins; 2 of 3.")


def test_a_private_win_is_told_without_its_title_wherever_it_goes() -> None:
    from datetime import UTC, datetime, timedelta

    from smallwins import Win
    from smallwins.testing import Harness

    start = datetime(2026, 11, 30, 9, tzinfo=UTC)
    secret, said = "Therapy session", "Called the bank"
    with Harness(now=start, config={"digest": "daily"}) as harness:
        private = {"private": True}
        harness.record("journal", [Win("k1", secret, start, details=private)])
        told = harness.moments()
        assert told and all(secret not in m.title + m.message for m in told)
        harness.record("journal", [Win("k2", said, start + timedelta(minutes=1))])
        # A burst of a private and a public win names the public one only.
        mixed = harness.record(
            "journal",
            [
                Win("k3", secret + " 2", start + timedelta(minutes=2), details=private),
                Win("k4", "Paid the rent", start + timedelta(minutes=2)),
            ],
        )
        assert len(mixed) == 2
        harness.advance(start + timedelta(days=2))
        every = harness.moments()
        assert any(said in m.message for m in every)
        assert any(m.kind == "digest" for m in every)
        assert all(secret not in m.title + m.message for m in every), [m.message for m in every]
        assert secret in [w.title for w in harness.wins()]  # kept, on this machine

    payloads = [
        {
            "source": "journal",
            "place": "Journal",
            "title": secret,
            "noun": "win",
            "plural": "wins",
            "private": True,
        },
        {
            "source": "journal",
            "place": "Journal",
            "title": said,
            "noun": "win",
            "plural": "wins",
            "private": False,
        },
    ]
    title, body = burst_words(WORDS, payloads)
    assert secret not in title + body and said in body and "1 more" in body
