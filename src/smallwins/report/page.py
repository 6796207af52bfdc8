"""The report page: one HTML file that needs nothing but itself.

Its Content-Security-Policy allows no load of any kind (``default-src 'none'``) and only its
own stylesheet, by hash: the browser, not the page, keeps it off the network. There is no
script. Text from sources is escaped and its control characters written out.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from smallwins.api.goal import Goal
from smallwins.coach.stats import amount, day_share, num, this_week_percent
from smallwins.message import shown
from smallwins.report import charts, experiments
from smallwins.report.history import LIST_DAYS, GoalHistory

STYLE = """
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#fff;--card:#f6f8fa;
--line:#d1d9e0;--l0:#ebedf0;--l1:#9be9a8;--l2:#40c463;--l3:#30a14e;--l4:#216e39;
--accent:#0969da;--gain:#bf8700;--usual:#59636e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;
--card:#151b23;--line:#3d444d;--l0:#1f2630;--l1:#0e4429;--l2:#006d32;--l3:#26a641;
--l4:#39d353;--accent:#4493f8;--gain:#d29922;--usual:#9198a1}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:62rem;padding:1rem;font:16px/1.5 system-ui,sans-serif;
color:var(--fg);background:var(--bg)}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
h3{font-size:1rem;margin:1rem 0 .25rem}
.muted,figcaption{color:var(--muted)}
section.goal{background:var(--card);border:1px solid var(--line);border-radius:8px;
padding:.5rem 1rem 1rem;margin:1rem 0}
dl.numbers{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));
gap:.5rem;margin:.5rem 0}
dl.numbers div{border:1px solid var(--line);border-radius:6px;padding:.25rem .5rem}
dl.numbers dt{font-size:.8rem;color:var(--muted)}dl.numbers dd{margin:0;font-weight:600}
figure{margin:.5rem 0}.scroll{overflow-x:auto}svg{display:block;max-width:none}
details{margin:.25rem 0}summary{cursor:pointer;color:var(--accent)}
table{border-collapse:collapse;font-size:.85rem}
th,td{border-bottom:1px solid var(--line);padding:.1rem .6rem;text-align:left}
.axis{font-size:10px;fill:var(--muted)}.grid{stroke:var(--line);stroke-width:1}
.l0{fill:var(--l0)}.l1{fill:var(--l1)}.l2{fill:var(--l2)}.l3{fill:var(--l3)}
.l4{fill:var(--l4)}.rest{fill:var(--l0);stroke:var(--muted);stroke-dasharray:2 1}
.line{fill:none;stroke:var(--accent);stroke-width:2}
.bar{fill:var(--l2)}.bar.gain{fill:var(--l4)}.gain-mark{fill:var(--gain)}
.usual{fill:none;stroke:var(--usual);stroke-width:1.5;stroke-dasharray:4 3}
.kaizen{fill:none;stroke:var(--gain);stroke-width:2}
.streak{fill:var(--l3)}.milestone{fill:var(--gain)}
.key{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;vertical-align:middle}
.key.usual{border-top:2px dashed var(--usual);height:0}.key.kaizen{background:var(--gain)}
.key.gain{background:var(--l4)}
.told-mark{fill:none;stroke:var(--gain);stroke-width:2}
.key.told{border:2px solid var(--gain);border-radius:50%;background:none}
ol.wins{max-height:20rem;overflow-y:auto;margin:0;padding:0 .5rem;list-style:none;
border:1px solid var(--line);border-radius:6px}
ol.wins li{padding:.2rem 0;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
@media (max-width:40rem){body{padding:.5rem}section.goal{padding:.25rem .5rem .5rem}}
"""


def csp(style: str) -> str:
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    return f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"


def render(
    histories: Sequence[GoalHistory],
    *,
    start: date,
    end: date,
    made: datetime,
    zone: ZoneInfo,
) -> str:
    goals = "".join(_goal(n, h, start, end, zone) for n, h in enumerate(histories))
    if not histories:
        goals = (
            '<p class="empty">No goals yet: configure a source (<code>smallwins init</code>), '
            "and each gets a goal of a win a day.</p>"
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp(STYLE)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>smallwins: your progress to {end}</title><style>{STYLE}</style></head><body>"
        f'<header><h1>Your small wins</h1><p class="muted">{start} to {end}, made '
        f"{made.astimezone(zone):%Y-%m-%d %H:%M} ({escape(str(zone))}). "
        "What each chart shows: docs/report.md.</p></header>"
        f"<main>{goals}</main></body></html>\n"
    )


def _goal(n: int, history: GoalHistory, start: date, end: date, zone: ZoneInfo) -> str:
    goal, progress = history.goal, history.stats.progress
    ident = f"g{n}"
    per = "a day" if goal.per == "day" else "a week"
    what = {"count": goal.plural, "minutes": "minutes"}.get(goal.metric, "value")
    head = (
        f'<section class="goal" aria-labelledby="{ident}"><h2 id="{ident}">{escape(goal.name)}'
        f'</h2><p class="muted">{escape(what)} {per}, from '
        f"{escape(', '.join(goal.sources))}</p>{_numbers(history)}"
    )
    if history.stats.first_day is None:
        return head + f"<p>No {escape(goal.plural)} yet.</p></section>"
    share = day_share(goal, progress.target)
    parts = [
        charts.heatmaps(f"{ident}-heat", goal, history.days, history.rest, share, start, end),
        charts.strength(f"{ident}-strength", history.strength, start, end),
        charts.weeks(f"{ident}-weeks", goal, history.weeks, start, end, history.told_gains),
        charts.streaks(f"{ident}-streaks", goal, history.runs, start, end),
        charts.targets(f"{ident}-target", goal, history.steps, start, end),
    ]
    keys = (
        '<p class="muted"><span class="key gain"></span> above your usual week '
        + ('<span class="key told"></span> a gain told to you ' if history.told_gains else "")
        + '<span class="key usual"></span> your usual week (the median of the four before) '
        '<span class="key kaizen"></span> 1% a week, compounded</p>'
    )
    figures = []
    for chart in parts:
        figures.append(
            f"<h3>{escape(chart.heading)}</h3><figure>"
            f'<div class="scroll">{chart.svg}</div>'
            f'<figcaption id="{chart.ident}-cap">{escape(chart.caption)}</figcaption>'
            + (keys if chart.ident.endswith("-weeks") else "")
            + f"<details><summary>The numbers</summary>{chart.table}</details></figure>"
        )
    tried = experiments.table(history.experiments)
    return head + "".join(figures) + tried + _wins(history, end, zone) + "</section>"


def _stat(name: str, value: str, after: str = "") -> str:
    return f'<span data-stat="{name}">{value}</span>{escape(after)}'


def _numbers(history: GoalHistory) -> str:
    """The headline numbers, each labelled, as ``stats --json`` has them."""
    progress, goal = history.stats.progress, history.goal
    unit = " days" if goal.per == "day" else " weeks"
    items = [
        ("streak", _stat("streak", f"{progress.streak:,}", unit)),
        ("best streak", _stat("best_streak", f"{progress.best_streak:,}", unit)),
        ("strength", _stat("strength", num(progress.strength * 100), "%")),
        ("in all", _stat("total_count", f"{progress.total_count:,}", f" {goal.plural}")),
    ]
    if goal.metric == "minutes":
        items.append(("hours", _stat("total_hours", num(progress.total_value / 60), " h")))
    # Amounts as a person says them: "12.5 h", "84 min"; only a ramped target needs more.
    this_week = _stat("this_week", num(progress.week_value), _unit(goal, progress.week_value))
    items.append(("this week", this_week))
    if progress.baseline is not None:
        usual = _stat("baseline", num(progress.baseline), _unit(goal, progress.baseline))
        percent = this_week_percent(progress)
        if percent is not None:
            usual += " (this week " + _stat("this_week_percent", str(percent), "%)")
        items.append(("your usual week", usual))
    target = _stat(
        "target", num(progress.target, 2), f"{_unit(goal, progress.target)} {_per(goal.per)}"
    )
    items.append(("target", target))
    cells = "".join(
        f"<div><dt>{escape(label)}</dt><dd>{value}</dd></div>" for label, value in items
    )
    return f'<dl class="numbers">{cells}</dl>'


def _unit(goal: Goal, value: float) -> str:
    """What follows a number of the goal's metric: " sessions", " min", or nothing."""
    if goal.metric == "count":
        return f" {goal.noun if value == 1 else goal.plural}"
    return f" {goal.unit}".rstrip()


def _per(per: str) -> str:
    return "a day" if per == "day" else "a week"


def _wins(history: GoalHistory, end: date, zone: ZoneInfo) -> str:
    goal = history.goal
    heading = f"<h3>The last {LIST_DAYS} days' {escape(goal.plural)}</h3>"
    if not history.wins:
        return heading + f"<p>No {escape(goal.plural)} in the {LIST_DAYS} days to {end}.</p>"
    items = []
    for win in history.wins:
        at = win.occurred_at.astimezone(zone)
        value = f" ({amount(goal, win.value)})" if goal.metric != "count" else ""
        items.append(
            f'<li><time datetime="{at.isoformat()}">{win.day} {at:%H:%M}</time> '
            f"{escape(shown(win.title))}{escape(value)}</li>"
        )
    more = ""
    if history.more_wins:
        more = (
            f'<p class="muted">and {history.more_wins:,} more: '
            "<code>smallwins wins --json</code> lists them all.</p>"
        )
    return f'{heading}<ol class="wins" tabindex="0">{"".join(items)}</ol>{more}'
