"""The digests: the evening one of a day with news, and the weekly one, which says one thing
worth knowing about the week (its gain, a longest run, its best day) rather than a count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from smallwins import DigestEvent, Progress, Rule, Tell

from .rules import GAIN_THRESHOLD, amount
from .words import counted

SPARKS = "▁▂▃▄▅▆▇█"
# A week is worth telling by its gain from 5% over the usual week: a steady habit passes 1%
# about every other week by chance.
WEEK_FACT_GAIN = 0.05
# A day stands out of its week at 1.5 times the next best day.
STANDS_OUT = 1.5


def sparkline(values: tuple[float, ...]) -> str:
    top = max(values, default=0)
    if top <= 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1)))] for v in values)


def _gain(goals: tuple[Progress, ...]) -> tuple[float, Progress | None]:
    gains = [
        (p.week_value / p.baseline - 1, p)
        for p in goals
        if p.baseline and p.week_value > 0 and not p.goal.limit
    ]
    return max(gains, default=(0.0, None), key=lambda pair: pair[0])


def week_gain(goals: tuple[Progress, ...]) -> str:
    """The week's best gain on a usual week, and the compounding it stands for, or ""."""
    gain, best = _gain(goals)
    if best is None or gain < GAIN_THRESHOLD:
        return ""
    percent = round(gain * 100)
    return f"{best.goal.called}: +{percent}% on your usual week; 1% a week is 1.7x a year."


def week_fact(day: date, goals: tuple[Progress, ...]) -> tuple[str, str]:
    """One thing worth knowing about the week that ends on ``day``, as a short headline and a
    sentence: a gain of 5% or more on the usual week, else a day that stood out, else a daily
    run that is the longest yet, else on how many days there were wins."""
    grown = tuple(p for p in goals if not p.goal.limit)
    gain, best = _gain(grown)
    if best is not None and gain >= WEEK_FACT_GAIN:
        baseline = amount(best.goal, best.baseline or 0)
        return (
            f"+{round(gain * 100)}% on your usual week",
            f"{best.goal.called}: {amount(best.goal, best.week_value)} against your usual "
            f"{baseline}. 1% a week is 1.7x a year.",
        )
    for progress in grown:
        ranked = sorted(progress.last_seven, reverse=True)
        if ranked[1] > 0 and ranked[0] >= STANDS_OUT * ranked[1]:
            weekday = (day - timedelta(days=6 - progress.last_seven.index(ranked[0]))).strftime(
                "%A"
            )
            return (
                f"{weekday} led the week",
                f"{progress.goal.called}: {amount(progress.goal, ranked[0])} on {weekday}, "
                "the week's best day.",
            )
    runs = [p for p in grown if p.goal.per == "day" and p.streak >= 7]
    run = max(runs, key=lambda p: p.streak, default=None)
    if run is not None and run.streak >= run.best_streak:
        days = counted(run.streak, "day", "days")
        return f"{days} in a row", f"{run.goal.called}: {days} in a row, your longest run yet."
    active = max(grown, key=lambda p: sum(1 for v in p.last_seven if v > 0), default=None)
    shown = sum(1 for v in active.last_seven if v > 0) if active else 0
    if active is None or not shown:
        return "a quiet one", "A rest from the ledger; the habit is still there."
    return (
        f"{shown} of 7 days",
        f"{active.goal.called}: something done on {shown} of the week's 7 days.",
    )


class Digests(Rule):
    """The evening digest: wins first, then what was news, at most one note, then one
    question; on Sundays the weekly one, led by one fact about the week."""

    name = "digests"

    def on_digest(self, event: DigestEvent) -> Iterator[Tell]:
        counts: dict[tuple[str, str, str], int] = {}
        for source, kind, _title, _value in event.wins:
            words = event.sources.get(source)
            one, many = (words.noun, words.plural) if words else (kind, f"{kind}s")
            called = words.label if words and words.label else source
            counts[(called, one, many)] = counts.get((called, one, many), 0) + 1
        parts = [
            f"{counted(n, one, many)} in {source}" for (source, one, many), n in counts.items()
        ]
        best = max(event.goals, key=lambda p: p.streak, default=None)
        streak = ""
        if best is not None and best.streak >= 2:
            unit = "days" if best.goal.per == "day" else "weeks"
            streak = f"{best.goal.called}: a streak of {counted(best.streak, unit[:-1], unit)}."
        strength = ""
        if best is not None and best.history_days >= 7:
            percent = round(best.strength * 100)
            strength = f"{best.goal.called}: {percent}% strong {sparkline(best.last_seven)}."
        started = any(p.total_count for p in event.goals)
        if not event.wins and not event.notes and not (event.weekly and started):
            return  # a day without wins needs no evening report, nor a week before any win
        headline, fact = week_fact(event.day, event.goals) if event.weekly else ("", "")
        if event.weekly:
            strength = f"{week_gain(event.goals)} {strength}".strip()
        kind = "weekly_digest" if event.weekly else "digest"
        yield Tell(
            kind,
            f"{kind}:{event.day}",
            {
                "count": len(event.wins),
                "wins_count": f"{len(event.wins)} win{'' if len(event.wins) == 1 else 's'}",
                "wins": ", ".join(parts[:3]) or "a rest from the ledger",
                "streak": streak,
                "strength": strength,
                "note": event.notes[-1] if event.notes else "",
                "day": event.day.strftime("%A"),
                # One piece of news is enough for a phone's banner.
                "news": event.news[0] if event.news else "",
                "headline": headline,
                "fact": fact,
            },
            "digest",
        )
