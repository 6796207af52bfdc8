"""The built-in progress rules (DESIGN section 7): streaks, totals, bests, comebacks, gains,
level-ups, setbacks and digests."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from typing import Any

from smallwins import (
    DayEvent,
    DigestEvent,
    Goal,
    Progress,
    Rule,
    Tell,
    WeekEvent,
    WinEvent,
)

from .words import counted

STREAK_MARKS = (3, 7, 14, 30, 50, 100, 200, 365)
# A limit's run is told from its first day: staying under is news from the start.
LIMIT_MARKS = (1, *STREAK_MARKS)
TOTAL_MARKS = (1, 10, 25, 50, 100, 250, 500, 1000)
BEST_AFTER_DAYS = 14
GAIN_THRESHOLD = 0.01
# A gain is real when the week beats the usual one by WEEK_NOISE standard deviations of the
# weeks before, or the last GAIN_WEEKS weeks beat the GAIN_WEEKS before by GAIN_NOISE standard
# errors; it is told at most once in GAIN_COOLDOWN_DAYS a goal.
GAIN_WEEKS = 4
GAIN_NOISE = 1.5
WEEK_NOISE = 3
GAIN_COOLDOWN_DAYS = 28
SPARKS = "▁▂▃▄▅▆▇█"


def streak_marks(before: int, after: int, marks_from: tuple[int, ...] = STREAK_MARKS) -> list[int]:
    """Streak milestones in (before, after]: 3, 7, 14, 30, 50, 100, 200, 365, then yearly."""
    marks = [m for m in marks_from if before < m <= after]
    marks += [y for y in range(730, after + 1, 365) if y > before]
    return marks


def total_marks(before: float, after: float) -> list[int]:
    """Totals on a thinning schedule: 1, 10, 25, 50, 100, 250, 500, 1000, then every 1000."""
    marks = [m for m in TOTAL_MARKS if before < m <= after]
    marks += [t for t in range(2000, int(after) + 1, 1000) if t > before]
    return marks


def number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def amount(goal: Goal, value: float) -> str:
    """A metric value in words: "12 min", "3 commits"."""
    if goal.metric == "minutes":
        return f"{number(value)} min"
    if goal.metric == "count":
        return f"{number(value)} {goal.noun if value == 1 else goal.plural}"
    return number(value)


def next_step(goal: Goal) -> str:
    """The smallest step that keeps a goal going."""
    if goal.metric == "minutes":
        return "2 minutes"
    if goal.metric == "count":
        return f"one small {goal.noun}"
    return "one small step"


def article(noun: str) -> str:
    """ "a commit", "an event"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def sparkline(values: tuple[float, ...]) -> str:
    top = max(values, default=0)
    if top <= 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1)))] for v in values)


def _weekday(progress: Progress) -> str:
    """The local day of the goal's last win ("Sunday"): a win at 00:30 counts for the evening
    before, and a win stored in UTC for the user's own day."""
    if progress.last_win_day is not None:
        return progress.last_win_day.strftime("%A")
    return progress.last_win_at.strftime("%A") if progress.last_win_at else "recently"


def base_values(progress: Progress) -> dict[str, Any]:
    goal = progress.goal
    last = progress.last_win_title
    return {
        "goal": goal.called,
        "noun": goal.noun,
        "plural": goal.plural,
        "strength": round(progress.strength * 100),
        "streak": progress.streak,
        "target": amount(goal, progress.target),
        "step": next_step(goal),
        "Step": next_step(goal)[:1].upper() + next_step(goal)[1:],
        "last_win": f"\u201c{last}\u201d" if last else article(goal.noun),
        "a_noun": article(goal.noun),
        "when": _weekday(progress),
    }


class Streaks(Rule):
    """A streak crossing 3, 7, 14, 30, 50, 100, 200, 365 days, then each year: told once.

    A limit's streak (days or weeks within it) grows only when a day or week ends, from its
    first one: it is told then, in words of its own.
    """

    name = "streaks"

    def on_day_end(self, event: DayEvent) -> Iterator[Tell]:
        if event.goal.limit and event.goal.per == "day" and event.close.met:
            yield from _limit_marks(event.close.streak_before, event.progress)

    def on_week_end(self, event: WeekEvent) -> Iterator[Tell]:
        if event.goal.limit and event.goal.per == "week" and event.close.met:
            yield from _limit_marks(event.progress.streak - 1, event.progress)

    def on_win(self, event: WinEvent) -> Iterator[Tell]:
        unit1 = event.goal.per
        for mark in streak_marks(event.before.streak, event.after.streak):
            unit = unit1 if mark == 1 else f"{unit1}s"
            yield Tell(
                "streak",
                f"streak:{event.goal.name}:{event.after.streak_start}:{mark}",
                {**base_values(event.after), "n": mark, "unit": unit, "unit1": unit1},
            )


def _limit_marks(before: int, progress: Progress) -> Iterator[Tell]:
    goal = progress.goal
    unit1 = goal.per
    for mark in streak_marks(before, progress.streak, LIMIT_MARKS):
        yield Tell(
            "limit_streak",
            f"limit:{goal.name}:{progress.streak_start}:{mark}",
            {
                **base_values(progress),
                "n": mark,
                "unit": unit1 if mark == 1 else f"{unit1}s",
                "unit1": unit1,
                "per": f"a {unit1}",
            },
        )


class Totals(Rule):
    """A total crossing 1, 10, 25, 50, 100, 250, 500, 1000, then every 1000: once ever.

    A minutes goal has two totals on the same schedule: its hours and its sessions.
    """

    name = "totals"

    def on_win(self, event: WinEvent) -> Iterator[Tell]:
        goal, before, after = event.goal, event.before, event.after
        hours = goal.metric == "minutes"
        names = ("hour", "hours") if hours else (goal.noun, goal.plural)
        totals = [("total", names, before.total, after.total)]
        if hours:
            counts = (float(before.total_count), float(after.total_count))
            totals.append(("count", (goal.noun, goal.plural), *counts))
        for prefix, (one, many), old, new in totals:
            for mark in total_marks(old, new):
                yield Tell(
                    "total",
                    f"{prefix}:{goal.name}:{mark}",
                    {
                        **base_values(after),
                        "n": number(mark),
                        "what": one if mark == 1 else many,
                        "days": after.history_days,
                        "history": counted(after.history_days, "day", "days"),
                    },
                )


class PersonalBests(Rule):
    """Longest session, biggest day, biggest week: after 14 days, at most one a week."""

    name = "personal_bests"

    def on_win(self, event: WinEvent) -> Iterator[Tell]:
        before, after, goal = event.before, event.after, event.goal
        if after.history_days < BEST_AFTER_DAYS:
            return
        candidates = []
        if goal.metric != "count" and before.best_single > 0 and event.value > before.best_single:
            candidates.append(("single", "Longest session yet", event.value, before.best_single))
        if before.best_day > 0 and after.today_value > before.best_day >= before.today_value:
            candidates.append(("day", "Biggest day yet", after.today_value, before.best_day))
        if before.best_week > 0 and after.week_value > before.best_week >= before.week_value:
            candidates.append(("week", "Biggest week yet", after.week_value, before.best_week))
        for what, label, value, previous in candidates[:1]:
            yield Tell(
                "personal_best",
                f"best:{goal.name}:{what}:{event.day}",
                {
                    **base_values(after),
                    "label": label,
                    "value": amount(goal, value),
                    "previous": amount(goal, previous),
                },
                cooldown_days=7,
            )


class Comebacks(Rule):
    """The first win after two or more days without one is its own moment."""

    name = "comebacks"

    def on_win(self, event: WinEvent) -> Iterator[Tell]:
        # Two quiet days are a gap for a daily goal; a weekly one is expected to rest for days.
        gap = 2 if event.goal.per == "day" else 7
        if event.first_today and event.gap_days >= gap:
            yield Tell(
                "comeback",
                f"comeback:{event.goal.name}:{event.day}",
                {
                    **base_values(event.after),
                    "gap": event.gap_days + 1,
                    "gap_days": counted(event.gap_days + 1, "day", "days"),
                },
            )


def real_gain(weeks: tuple[float, ...], baseline: float) -> bool:
    """Whether the week that ended (the last of ``weeks``) is a real gain, not week-to-week
    noise: it beats the usual week by more than three standard deviations of the seven weeks
    before it, or the last four weeks beat the four before by more than 1.5 standard errors
    of their difference (from the spread of the weeks within each half). A steady habit
    beats its usual week about every other week by chance; only a few of those pass."""
    if len(weeks) < 2 * GAIN_WEEKS:
        return False
    week, before_week = weeks[-1], weeks[-2 * GAIN_WEEKS : -1]
    if week - baseline > WEEK_NOISE * statistics.stdev(before_week):
        return True
    before, recent = weeks[-2 * GAIN_WEEKS : -GAIN_WEEKS], weeks[-GAIN_WEEKS:]
    noise = math.sqrt((statistics.variance(before) + statistics.variance(recent)) / 2)
    gain = statistics.mean(recent) - statistics.mean(before)
    return (
        gain > GAIN_NOISE * noise * math.sqrt(2 / GAIN_WEEKS)
        and gain > statistics.mean(before) * GAIN_THRESHOLD
    )


class MarginalGains(Rule):
    """A week beating the trailing four-week median by 1% or more, when the gain stands out of
    the week-to-week noise (``real_gain``): told at most once in 28 days a goal."""

    name = "marginal_gains"

    def on_week_end(self, event: WeekEvent) -> Iterator[Tell]:
        close, goal = event.close, event.goal
        if goal.limit:
            return  # more than usual is no gain against a limit
        if not close.baseline or close.value <= close.baseline * (1 + GAIN_THRESHOLD):
            return
        if not real_gain(close.recent, close.baseline):
            return
        gain = close.value / close.baseline - 1
        yield Tell(
            "marginal_gain",
            f"gain:{goal.name}:{close.start}",
            {
                **base_values(event.progress),
                "percent": max(1, round(gain * 100)),
                "value": amount(goal, close.value),
                "baseline": amount(goal, close.baseline),
            },
            cooldown_days=GAIN_COOLDOWN_DAYS,
        )


class LevelUps(Rule):
    """Kaizen: when the target ramps up after a strong week, say so once."""

    name = "level_ups"

    def on_week_end(self, event: WeekEvent) -> Iterator[Tell]:
        close, goal = event.close, event.goal
        if close.target_after <= close.target_before:
            return  # easing back is done quietly
        per = "a day" if goal.per == "day" else "a week"
        yield Tell(
            "level_up",
            f"level:{goal.name}:{close.start}",
            {
                **base_values(event.progress),
                "before": amount(goal, close.target_before),
                "after": amount(goal, close.target_after),
                "per": per,
                "met": close.met_days,
                "active": close.active_days,
                "active_days": counted(close.active_days, "day", "days"),
            },
        )


class Setbacks(Rule):
    """Gentle notes on a missed day: "never miss twice" while grace holds, a setback after.

    The coach keeps them rare (one per goal a week, never two days running, only after three
    celebrations) and out of quiet hours; what it holds back folds into the next digest.
    """

    name = "setbacks"

    def on_day_end(self, event: DayEvent) -> Iterator[Tell]:
        goal, close = event.goal, event.close
        if not goal.setbacks or goal.per != "day" or goal.limit or close.met or close.rest:
            return
        values = {**base_values(event.progress), "day": close.day.strftime("%A")}
        if close.grace_used:
            yield Tell("never_miss_twice", f"nmt:{goal.name}:{close.day}", values, "setback")
        elif close.broke:
            yield Tell("setback", f"setback:{goal.name}:{close.day}", values, "setback")


def week_gain(goals: tuple[Progress, ...]) -> str:
    """The week's best gain on a usual week, and the compounding it stands for, or ""."""
    gains = [(p.week_value / p.baseline - 1, p) for p in goals if p.baseline and p.week_value > 0]
    gain, best = max(gains, default=(0.0, None), key=lambda pair: pair[0])
    if best is None or gain < GAIN_THRESHOLD:
        return ""
    percent = round(gain * 100)
    return f"{best.goal.called}: +{percent}% on your usual week; 1% a week is 1.7x a year."


class Digests(Rule):
    """The evening digest: wins first, then at most one note, then one question."""

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
            },
            "digest",
        )
