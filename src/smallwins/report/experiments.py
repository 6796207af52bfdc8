"""A goal's experiments on the report page: one small table, the numbers of
``smallwins experiment list``."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from smallwins.coach.experiment import Outcome, Window
from smallwins.coach.stats import amount
from smallwins.message import shown


def table(outcomes: Sequence[Outcome]) -> str:
    """The experiments' table, or nothing when the goal has none."""
    if not outcomes:
        return ""
    rows = "".join(_row(o) for o in outcomes)
    return (
        "<h3>Experiments</h3>"
        '<div class="scroll"><table class="experiments"><thead><tr>'
        '<th scope="col">Experiment</th><th scope="col">During</th>'
        '<th scope="col">Before</th><th scope="col">A day during</th>'
        '<th scope="col">A day before</th><th scope="col">Change</th>'
        '<th scope="col">95% interval</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
        '<p class="muted">Each is told in words when it ends: '
        "<code>smallwins experiment list</code>.</p>"
    )


def _row(found: Outcome) -> str:
    change = found.change
    if found.interval is not None:
        low, high = found.interval
        interval = f"{_percent(low)} to {_percent(high)}"
    else:
        interval = "when it ends" if not found.ended else "cannot say"
    cells = (
        escape(shown(found.experiment.name)),
        _window(found.during, found.days_during),
        _window(found.before, found.days_before),
        _amount(found, found.mean_during),
        _amount(found, found.mean_before),
        _percent(change) if change is not None else "",
        interval,
    )
    head, *rest = cells
    return f'<tr><th scope="row">{head}</th>' + "".join(f"<td>{c}</td>" for c in rest) + "</tr>"


def _amount(found: Outcome, value: float | None) -> str:
    if value is None or found.goal is None:
        return ""
    return escape(amount(found.goal, value))


def _window(window: Window | None, days: int) -> str:
    if window is None:
        return "none"
    return f"{window[0]} to {window[1]} ({days} days)"


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100):+d}%"
