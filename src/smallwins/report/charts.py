"""The report's charts: inline SVG, each with a caption and a table of its numbers.

Colours come from the page's stylesheet through classes (light and dark follow the browser),
never from style attributes, which the page's Content-Security-Policy would refuse. Every
chart is ``role="img"`` labelled by its caption, and its table says the same in numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from smallwins.api.goal import Goal
from smallwins.api.progress import week_start
from smallwins.coach.stats import FULL, LEVELS, MONTHS, NONE, REST, WEEKDAYS, amount, cell, num
from smallwins.report.history import Run, Step, Week

WIDTH = 720
CELL, GAP = 11, 2
# Columns (weeks) a month's name takes in the calendar, "Sep" at 10 px with room beside it.
MONTH_LABEL_COLUMNS = 3
HEAT_WEEKS = 53
# The heat map's classes by the stats heat map's own marks, so both grade a day alike.
LEVEL_CLASS = {NONE: "l0", LEVELS[0][1]: "l1", LEVELS[1][1]: "l2", LEVELS[2][1]: "l3"}
LEVEL_CLASS |= {FULL: "l4", REST: "rest"}
# Streak marks as DESIGN's rule 4 names them; past a year, each further year.
STREAK_MARKS = (3, 7, 14, 30, 50, 100, 200, 365)
WEEKLY_GAIN = 1.01


@dataclass(frozen=True, slots=True)
class Chart:
    """One chart: its heading, SVG, caption (its numbers in words) and table."""

    ident: str
    heading: str
    svg: str
    caption: str
    table: str


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def svg(ident: str, width: float, height: float, body: str) -> str:
    return (
        f'<svg role="img" aria-labelledby="{ident}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" xmlns="http://www.w3.org/2000/svg">'
        f"{body}</svg>"
    )


def _x(day: date, start: date, end: date, left: float, width: float) -> float:
    span = max((end - start).days, 1)
    return left + (day - start).days / span * width


def _marks(length: int) -> list[int]:
    marks = [m for m in STREAK_MARKS if m <= length]
    marks += list(range(730, length + 1, 365))
    return marks


def _axis(start: date, end: date, left: float, width: float, y: float) -> str:
    """Month (or year) names under a time axis, as many as fit."""
    years = (end - start).days > 2 * 366
    ticks, day = [], date(start.year, start.month, 1)
    while day <= end:
        if day >= start and (not years or day.month == 1):
            label = str(day.year) if years else MONTHS[day.month - 1]
            ticks.append((_x(day, start, end, left, width), label))
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    step = max(1, len(ticks) // 12)
    return "".join(
        f'<text class="axis" x="{x:.1f}" y="{y:.0f}">{label}</text>' for x, label in ticks[::step]
    )


# -- the year calendar --------------------------------------------------------------------


def heatmaps(
    ident: str,
    goal: Goal,
    days: dict[date, float],
    rest: frozenset[date],
    share: float,
    start: date,
    end: date,
) -> Chart:
    """A GitHub-style calendar, a block per 53 weeks, newest first."""
    blocks, last = [], week_start(end)
    while last + timedelta(days=6) >= start:
        first = max(last - timedelta(weeks=HEAT_WEEKS - 1), week_start(start))
        blocks.append(_heat_block(days, rest, share, first, last, start, end))
        last = first - timedelta(weeks=1)
    shown = [d for d in _span(start, end)]
    active = [d for d in shown if days.get(d, 0) > 0]
    total = sum(days.get(d, 0.0) for d in shown)
    busiest = max(active, key=lambda d: days[d], default=None)
    caption = (
        f"{len(active):,} of {len(shown):,} days with a {goal.noun}, {start} to {end}; "
        f"{amount(goal, total)} in all"
    )
    if busiest is not None:
        caption += f"; the biggest day {busiest}, {amount(goal, days[busiest])}"
    rows = []
    month = date(start.year, start.month, 1)
    while month <= end:
        after = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        in_month = [d for d in shown if month <= d < after]
        rows.append(
            (
                f"{MONTHS[month.month - 1]} {month.year}",
                str(sum(1 for d in in_month if days.get(d, 0) > 0)),
                amount(goal, sum(days.get(d, 0.0) for d in in_month)),
            )
        )
        month = after
    body = "".join(svg(f"{ident}-cap", *block) for block in blocks)
    headers = ("month", "days with a win", "in all")
    return Chart(ident, "Every day", body, caption, table(headers, rows))


def _span(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _heat_block(
    days: dict[date, float],
    rest: frozenset[date],
    share: float,
    first: date,
    last: date,
    start: date,
    end: date,
) -> tuple[float, float, str]:
    step, left, top = CELL + GAP, 30, 16
    parts = []
    for row, name in enumerate(WEEKDAYS):
        if row % 2 == 0:
            parts.append(f'<text class="axis" x="0" y="{top + row * step + 9}">{name}</text>')
    columns = (last - first).days // 7 + 1
    labels: list[tuple[int, int]] = []  # (column, month)
    column, monday, month = 0, first, 0
    while monday <= last:
        if monday.month != month:
            month = monday.month
            # A name needs three columns: a month begun in the block's first weeks gives
            # way to the next one, and one in its last two weeks has no room at all.
            if labels and column - labels[-1][0] < MONTH_LABEL_COLUMNS:
                labels.pop()
            if columns - column >= 2:
                labels.append((column, month))
        for row in range(7):
            day = monday + timedelta(days=row)
            if not start <= day <= end:
                continue
            value = days.get(day, 0.0)
            level = LEVEL_CLASS[cell(value, day in rest, share)]
            parts.append(
                f'<rect class="{level}" x="{left + column * step}" y="{top + row * step}" '
                f'width="{CELL}" height="{CELL}" rx="2"><title>{day}: {num(value)}</title></rect>'
            )
        column += 1
        monday += timedelta(weeks=1)
    parts += [
        f'<text class="axis" x="{left + at * step}" y="11">{MONTHS[name - 1]}</text>'
        for at, name in labels
    ]
    return left + column * step, top + 7 * step, "".join(parts)


# -- strength -----------------------------------------------------------------------------


def strength(ident: str, points: Sequence[tuple[date, float]], start: date, end: date) -> Chart:
    shown = [(d, s) for d, s in points if start <= d <= end]
    left, top, width, height = 34, 8, WIDTH - 40, 120
    parts = [_grid(left, top, width, height, ("100%", "50%", "0%"))]
    if shown:
        coords = " ".join(
            f"{_x(d, start, end, left, width):.1f},{top + height * (1 - s):.1f}" for d, s in shown
        )
        parts.append(f'<polyline class="line" points="{coords}"/>')
    parts.append(_axis(start, end, left, width, top + height + 16))
    if not shown:
        caption = "No strength yet: it grows from the first win."
    else:
        low = min(shown, key=lambda p: p[1])
        caption = (
            f"Strength {_pct(shown[-1][1])} on {shown[-1][0]}, from {_pct(shown[0][1])} on "
            f"{shown[0][0]}; lowest {_pct(low[1])} on {low[0]}"
        )
    month_ends = [p for n, p in enumerate(shown) if n + 1 == len(shown) or shown[n + 1][0].day == 1]
    rows = [(str(d), _pct(s)) for d, s in month_ends]
    return Chart(
        ident,
        "Strength",
        svg(f"{ident}-cap", WIDTH, top + height + 22, "".join(parts)),
        caption,
        table(("day", "strength"), rows),
    )


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def _grid(left: float, top: float, width: float, height: float, labels: Sequence[str]) -> str:
    parts = []
    for n, label in enumerate(labels):
        y = top + height * n / (len(labels) - 1)
        parts.append(f'<line class="grid" x1="{left}" x2="{left + width}" y1="{y}" y2="{y}"/>')
        parts.append(f'<text class="axis" x="0" y="{y + 4:.0f}">{escape(label)}</text>')
    return "".join(parts)


# -- weeks against the usual --------------------------------------------------------------


def weeks(
    ident: str,
    goal: Goal,
    all_weeks: Sequence[Week],
    start: date,
    end: date,
    told: frozenset[date] = frozenset(),
) -> Chart:
    """Weekly totals as bars, the usual week as a line, and 1% a week compounded from the
    first usual week shown, beside it; the weeks in ``told`` (the gains the coach told)
    ringed."""
    shown = [w for w in all_weeks if week_start(start) <= w.start <= end]
    first_usual = next((w for w in shown if w.baseline), None)
    compound = {
        w.start: first_usual.baseline * WEEKLY_GAIN ** ((w.start - first_usual.start).days // 7)
        for w in shown
        if first_usual is not None and first_usual.baseline and w.start >= first_usual.start
    }
    top_value = max([w.value for w in shown] + [w.baseline or 0 for w in shown], default=0)
    top_value = max(top_value, *compound.values(), 1) if compound else max(top_value, 1)
    left, top, width, height = 40, 8, WIDTH - 46, 140
    slot = width / max(len(shown), 1)
    parts = [_grid(left, top, width, height, (num(top_value), num(top_value / 2), "0"))]
    usual, kaizen = [], []
    for n, week in enumerate(shown):
        x = left + n * slot
        h = height * week.value / top_value
        gain = week.baseline is not None and week.value > week.baseline
        label = f"week of {week.start}: {amount(goal, week.value)}"
        parts.append(
            f'<rect class="{"bar gain" if gain else "bar"}" x="{x + slot * 0.1:.1f}" '
            f'y="{top + height - h:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}</title></rect>"
        )
        if gain:
            parts.append(
                f'<circle class="gain-mark" cx="{x + slot / 2:.1f}" cy="{top + height - h - 5:.1f}"'
                f' r="{min(3, slot / 3):.1f}"/>'
            )
        if week.start in told:
            parts.append(
                f'<circle class="told-mark" cx="{x + slot / 2:.1f}" cy="{top + height - h - 5:.1f}"'
                f' r="{min(6, slot / 2):.1f}"><title>told: a marginal gain</title></circle>'
            )
        middle = x + slot / 2
        if week.baseline is not None:
            usual.append(f"{middle:.1f},{top + height * (1 - week.baseline / top_value):.1f}")
        if week.start in compound:
            y = top + height * (1 - compound[week.start] / top_value)
            kaizen.append(f"{middle:.1f},{y:.1f}")
    parts.append(f'<polyline class="usual" points="{" ".join(usual)}"/>')
    parts.append(f'<polyline class="kaizen" points="{" ".join(kaizen)}"/>')
    parts.append(_axis(start, end, left, width, top + height + 16))
    gains = sum(1 for w in shown if w.baseline is not None and w.value > w.baseline)
    caption = f"{len(shown)} weeks; {gains} above your usual week"
    told_shown = [w.start for w in shown if w.start in told]
    if told_shown:
        caption += f", {len(told_shown)} told as a gain ({', '.join(map(str, told_shown))})"
    if shown and shown[-1].baseline is not None:
        caption += (
            f"; the last {amount(goal, shown[-1].value)} against a usual "
            f"{amount(goal, shown[-1].baseline)}"
        )
    if compound and first_usual is not None:
        caption += (
            f"; 1% a week from the usual {amount(goal, first_usual.baseline or 0)} on "
            f"{first_usual.start} would be {amount(goal, list(compound.values())[-1])} now"
        )
    rows = [
        (
            str(w.start),
            amount(goal, w.value),
            amount(goal, w.baseline) if w.baseline is not None else "-",
            "yes" if w.baseline is not None and w.value > w.baseline else "",
            "yes" if w.start in told else "",
            amount(goal, compound[w.start]) if w.start in compound else "-",
        )
        for w in shown
    ]
    headers = ("week of", "total", "usual week", "above usual", "told", "1% a week")
    return Chart(
        ident,
        "Weeks against your usual",
        svg(f"{ident}-cap", WIDTH, top + height + 22, "".join(parts)),
        caption,
        table(headers, rows),
    )


# -- streaks and the target ---------------------------------------------------------------


def streaks(ident: str, goal: Goal, runs: Sequence[Run], start: date, end: date) -> Chart:
    unit = "days" if goal.per == "day" else "weeks"
    shown = [r for r in runs if r.end >= start and r.start <= end]
    left, top, width, height = 4, 18, WIDTH - 8, 22
    parts = [
        f'<line class="grid" x1="{left}" x2="{left + width}" y1="{top + height}" '
        f'y2="{top + height}"/>'
    ]
    for run in shown:
        x1 = _x(max(run.start, start), start, end, left, width)
        x2 = _x(min(run.end, end), start, end, left, width) + max(width / 400, 1.5)
        parts.append(
            f'<rect class="streak" x="{x1:.1f}" y="{top}" width="{x2 - x1:.1f}" '
            f'height="{height}"><title>{run.length} {unit} from {run.start}</title></rect>'
        )
        period = 1 if goal.per == "day" else 7
        for mark in _marks(run.length):
            day = run.start + timedelta(days=(mark - 1) * period)
            if start <= day <= end:
                x = _x(day, start, end, left, width)
                parts.append(
                    f'<path class="milestone" d="M{x:.1f} {top - 2}l-3 -6h6z">'
                    f"<title>{mark} {unit} on {day}</title></path>"
                )
    parts.append(_axis(start, end, left, width, top + height + 16))
    longest = sorted(shown, key=lambda r: (-r.length, r.start))[:10]
    caption = f"{len(shown)} {'streak' if len(shown) == 1 else 'streaks'}"
    if longest:
        caption += f"; the longest {longest[0].length} {unit}, from {longest[0].start}"
    rows = [
        (str(r.start), str(r.end), f"{r.length} {unit}", ", ".join(map(str, _marks(r.length))))
        for r in longest
    ]
    return Chart(
        ident,
        "Streaks",
        svg(f"{ident}-cap", WIDTH, top + height + 22, "".join(parts)),
        caption,
        table(("from", "to", "length", "milestones"), rows),
    )


def targets(ident: str, goal: Goal, steps: Sequence[Step], start: date, end: date) -> Chart:
    before = [s for s in steps if s.day <= start]
    shown = before[-1:] + [s for s in steps if start < s.day <= end]
    left, top, width, height = 40, 8, WIDTH - 46, 80
    high = max([s.target for s in shown] + [goal.max_target or 0, 1])
    parts = [_grid(left, top, width, height, (num(high, 2), "0"))]
    points: list[str] = []
    for n, step in enumerate(shown):
        x = _x(max(step.day, start), start, end, left, width)
        y = top + height * (1 - step.target / high)
        if n:
            points.append(f"{x:.1f},{points[-1].split(',')[1]}")
        points.append(f"{x:.1f},{y:.1f}")
    if points:
        points.append(f"{left + width:.1f},{points[-1].split(',')[1]}")
    parts.append(f'<polyline class="line" points="{" ".join(points)}"/>')
    parts.append(_axis(start, end, left, width, top + height + 16))
    changes = len(shown) - 1 if shown else 0
    caption = f"{changes} steps of the target" if goal.ramp else "No ramp: the target stays"
    if shown:
        caption += f"; {amount(goal, shown[-1].target, 2)} from {shown[-1].day}"
    rows = [(str(s.day), amount(goal, s.target, 2)) for s in shown]
    return Chart(
        ident,
        "The target, step by step",
        svg(f"{ident}-cap", WIDTH, top + height + 22, "".join(parts)),
        caption,
        table(("from", "target"), rows),
    )
