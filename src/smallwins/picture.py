"""The weekly digest's picture: a small PNG of the week, per goal its days as a strip of bars,
its strength and the week against the usual one.

Pillow costs the daemon memory it would keep for good once imported, so the picture is drawn
in a short-lived child process: ``make`` runs this file by its path (``python -I``), which
imports nothing of smallwins, only the standard library and Pillow, reads the numbers as JSON
on stdin and writes the PNG to stdout. It sits beside the package's face, not in ``report``,
so that sending one loads no more into the daemon than this small module. Same numbers, same
bytes: a digest sent again after a crash carries the same picture. It is drawn from numbers,
goals' names and kinds only (``smallwins.coach.week``), so no win's title can reach it.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from typing import Any

log = logging.getLogger("smallwins.picture")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDTH = 640
PAD = 24
HEADER = 56
ROW = 156
BARS = 78
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
INK, MUTED, PAPER, EMPTY = "#1f2328", "#59636e", "#ffffff", "#e4e7eb"
MET, SOME, OVER, GAIN = "#2da44e", "#9be9a8", "#d29922", "#1a7f37"


def number(value: float) -> str:
    """A whole number when it is one, else one decimal: "84", "10.5"."""
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def week_title(week: str) -> str:
    year, month, day = (int(part) for part in week.split("-"))
    return f"Your week from {day} {MONTHS[month - 1]} {year}"


def caption(goal: dict[str, Any]) -> tuple[str, str]:
    """The week's amount against the usual one, and the gain ("+6%") or ""."""
    unit = f" {goal['unit']}" if goal["unit"] else ""
    text = f"{number(goal['week'])}{unit} this week"
    usual = goal["usual"]
    if not usual:
        return text, ""
    text += f", usually {number(usual)}"
    change = round((goal["week"] / usual - 1) * 100)
    better = change < 0 if goal["limit"] else change > 0
    return text, f"{change:+d}%" if better else ""


def draw(data: dict[str, Any]) -> bytes:
    """The PNG of the week described by ``data`` (see ``smallwins.coach.week``)."""
    from PIL import Image, ImageDraw, ImageFont

    goals = data["goals"]
    if not goals:
        raise ValueError("no goal to draw")
    fonts = {size: ImageFont.load_default(size=size) for size in (13, 15, 18, 22)}
    image = Image.new("RGB", (WIDTH, HEADER + ROW * len(goals)), PAPER)
    pen = ImageDraw.Draw(image)
    pen.text((PAD, 18), week_title(data["week"]), fill=INK, font=fonts[22])
    column = (WIDTH - 2 * PAD) / 7
    for row, goal in enumerate(goals):
        top = HEADER + ROW * row
        pen.text((PAD, top + 4), str(goal["name"])[:40], fill=INK, font=fonts[18])
        strength = f"{round(goal['strength'] * 100)}% strong"
        pen.text((WIDTH - PAD, top + 6), strength, fill=MUTED, font=fonts[15], anchor="ra")
        values = [float(v) for v in goal["values"]]
        target = float(goal["target"]) if goal["per"] == "day" else 0.0
        scale = max([*values, target, 1e-9])
        base = top + 34 + BARS
        for n, value in enumerate(values):
            left = PAD + column * n + column * 0.18
            right = PAD + column * (n + 1) - column * 0.18
            height = max(3.0, BARS * value / scale) if value > 0 else 3.0
            pen.rectangle((left, base - height, right, base), fill=_colour(goal, value))
            label = DAYS[n][0] if not goal["rest"][n] else "rest"
            pen.text(((left + right) / 2, base + 4), label, fill=MUTED, font=fonts[13], anchor="ma")
        if target:
            line = base - BARS * target / scale
            for x in range(PAD, WIDTH - PAD, 10):
                pen.line((x, line, x + 5, line), fill=MUTED, width=1)
        text, gain = caption(goal)
        pen.text((PAD, base + 24), text, fill=INK, font=fonts[15])
        if gain:
            width = pen.textlength(text + "  ", font=fonts[15])
            pen.text((PAD + width, base + 24), gain, fill=GAIN, font=fonts[15])
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _colour(goal: dict[str, Any], value: float) -> str:
    if value <= 0:
        return EMPTY
    target = float(goal["target"])
    if goal["limit"]:
        return MET if value <= target else OVER
    return MET if goal["per"] == "week" or value >= target else SOME


def make(data: dict[str, Any], *, timeout: float = 10.0) -> bytes | None:
    """The PNG for ``data``, drawn in a child process; None, with the reason logged, when it
    cannot be drawn: the digest then goes as words alone."""
    try:
        done = subprocess.run(
            [sys.executable, "-I", __file__],
            input=json.dumps(data).encode(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        reason = f"drawing took more than {timeout:g} s"
    except OSError as exc:
        reason = f"the drawing process could not start: {exc.strerror or exc}"
    else:
        if done.returncode == 0 and done.stdout.startswith(PNG_SIGNATURE):
            return done.stdout
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        reason = lines[-1] if lines else f"the drawing process exited {done.returncode}"
    log.warning("the week's picture could not be drawn (%s); the digest goes as words", reason)
    return None


def main() -> None:
    try:
        png = draw(json.load(sys.stdin))
    except ModuleNotFoundError as exc:
        sys.exit(f"{exc}; install it with: pip install pillow")
    sys.stdout.buffer.write(png)


if __name__ == "__main__":
    main()
