"""The built-in wordings: every kind of moment the rules tell, and the celebrations, bursts
and first-scan summaries the host tells of a scan's own wins."""

from __future__ import annotations


def counted(n: float, one: str, many: str) -> str:
    """A number with its word: "1 day", "3 days", "1,234 days"."""
    shown = f"{n:,.0f}" if float(n).is_integer() else f"{n:,.1f}"
    return f"{shown} {one if n == 1 else many}"


TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "streak": [
        ("{n} {unit} in a row", "{n} {unit} of showing up for {goal}."),
        ("{n}-{unit1} streak", "{goal}: {n} {unit} running. Keep the thread going."),
        ("A run of {n} {unit}", "{n} {unit} in a row for {goal}; small steps add up."),
        ("{n} {unit} and counting", "Your run in {goal} just reached {n} {unit}."),
        ("Streak: {n} {unit}", "{n} {unit} without a gap in {goal}. That is a habit forming."),
    ],
    "limit_streak": [
        ("{n} {unit} within the limit", "{goal}: {n} {unit} in a row at {target} {per} or less."),
        ("Held the line: {n} {unit}", "{n} {unit} within {target} {per} for {goal}. Well kept."),
        ("Under the limit, {n} {unit}", "{goal}: within {target} {per} for {n} {unit}."),
        ("{n} {unit} kept under", "The limit in {goal} held for {n} {unit} running."),
        ("Within {target}: {n} {unit}", "{n} {unit} within the limit in {goal}. It gets easier."),
    ],
    "total": [
        ("{n} {what} in {goal}", "{n} {what} so far, over {history}. Compounding works."),
        ("{n} {what}", "Your total in {goal} just passed {n} {what}."),
        ("Milestone: {n} {what}", "{n} {what} in {goal} since you started."),
        ("{n} {what} and growing", "You reached {n} {what} in {goal}. One small step at a time."),
        ("{n} {what} done", "That makes {n} {what} for {goal}. Well built."),
    ],
    "personal_best": [
        ("{label}", "{value} in {goal} (your best was {previous})."),
        ("New best: {value}", "{label} for {goal}: {value}, up from {previous}."),
        ("{label}: {value}", "Your previous best in {goal} was {previous}."),
        ("Personal best in {goal}", "{value} beats your {previous}. {label}."),
        ("{label} in {goal}", "{value}, past your old mark of {previous}."),
    ],
    "long_session": [
        (
            "{value}: longest in {ago}",
            "Your usual {noun} in {goal} is {usual}; none was this long in {ago}.",
        ),
        ("Longest {noun} in {ago}", "{value} in {goal}, {times}x your usual {usual}."),
        (
            "A long one: {value}",
            "{value} in {goal}: your longest {noun} in {ago}. Your usual is {usual}.",
        ),
        (
            "Far past your usual",
            "{value} in {goal} against a usual {usual}: the longest in {ago}.",
        ),
        (
            "{value}, well past usual",
            "Nothing this long in {goal} for {ago}; your usual is {usual}.",
        ),
    ],
    "comeback": [
        ("Welcome back", "First {noun} in {gap_days}. That one is the hardest, and it is done."),
        ("Back at it", "{gap_days} away, and back. Starting again is a win of its own."),
        ("Good to see you", "{gap_days} off, and now {a_noun}. The thread picks up again."),
        ("You're back", "First {noun} in {gap_days} for {goal}. Nicely restarted."),
        ("Restarted", "After {gap_days}, you are back in {goal}. That is the hard part done."),
    ],
    "marginal_gain": [
        (
            "{percent}% more than usual",
            "{value} this week against your usual {baseline}. 1% a week is 1.7x in a year.",
        ),
        (
            "A {percent}% better week",
            "{goal}: {value} against {baseline}. 1% a week compounds to 1.7x a year.",
        ),
        ("Up {percent}% on your usual", "{value} in {goal} this week; your usual is {baseline}."),
        ("1% better, and then some", "{percent}% above your usual {baseline} in {goal}."),
        ("This week beat your usual", "{value} against {baseline} in {goal}: +{percent}%."),
    ],
    "level_up": [
        (
            "New target: {after}",
            "{before} on {met} of the last {active_days}. From today: {after} {per}.",
        ),
        (
            "Level up: {after}",
            "Your target in {goal} grows from {before} to {after} {per}. You earned it.",
        ),
        ("Target up to {after}", "A strong week in {goal}: {before} becomes {after} {per}."),
        ("One notch up: {after}", "{met} of {active_days} at {before}. Next: {after} {per}."),
        ("Ready for {after}", "Stepping up in {goal}: {before} to {after} {per}."),
    ],
    "setback": [
        (
            "A quiet day",
            "{day} was quiet; you are still {strength}% strong in {goal}. Last win: "
            "{last_win} on {when}. {Step} today keeps the week.",
        ),
        (
            "A gap in {goal}",
            "{day} was quiet, and {last_win} on {when} still counts. "
            "You are {strength}% strong; {step} restarts it.",
        ),
        (
            "Room for a small step",
            "A pause in {goal} on {day}, after {last_win} on {when}. {Step} is all it takes today.",
        ),
        (
            "The thread is still there",
            "{goal}: {strength}% strong after a quiet {day}; your last win was {last_win} "
            "on {when}. Try {step}.",
        ),
        ("An easy restart", "Last win: {last_win} on {when}. {Step} today picks it up."),
    ],
    "never_miss_twice": [
        ("Today counts", "{day} was a rest. Even {step} today keeps the thread."),
        ("Keep the thread", "One quiet day in {goal}; {step} today keeps your run alive."),
        ("A small one today", "A rest in {goal} on {day}. {Step} is enough to carry on."),
        ("Never miss twice", "After a rest on {day}, {step} today holds the streak."),
        ("Back on track today", "{goal}: {strength}% strong. {Step} keeps it that way."),
    ],
    "digest": [
        ("Today: {wins_count}", "{wins}. {news} {streak} {note} What moved forward today?"),
        ("{day}: {wins_count}", "{wins}. {news} {strength} {note} What went well today?"),
        ("Your day: {wins_count}", "{wins}. {news} {streak} {note} What is one thing you learned?"),
        ("{wins_count} today", "{wins}. {news} {strength} {note} What made today count?"),
        (
            "Evening note: {wins_count}",
            "{wins}. {news} {streak} {note} What would make tomorrow easy?",
        ),
    ],
    "weekly_digest": [
        ("Your week: {headline}", "{fact} {note} What moved the week forward?"),
        ("This week: {headline}", "{fact} {note} What do you want more of?"),
        ("The week: {headline}", "{fact} {note} Which win mattered most?"),
        ("Sunday look back", "{fact} {note} What is one step for Monday?"),
        ("The week behind you", "{fact} {note} What made this week yours?"),
    ],
}

# What a scan's own wins make: told often, so in one steady voice; their variety comes from
# the win's own title and count. The host fills them (docs/coaching.md, "Placeholders").
SCAN_WORDS: dict[str, list[tuple[str, str]]] = {
    "celebration": [
        ("Small win in {place}", "\u201c{title}\u201d - your {nth} {noun} today{progress}.")
    ],
    "celebration_private": [("Small win in {place}", "A new {noun}: your {nth} today{progress}.")],
    "burst": [("{count} {what} in {place}", "{count} {what} just landed: {titles}.")],
    "burst_private": [("{count} {what} in {place}", "{count} new {what} just now.")],
    "summary": [
        ("Watching {label}", "Found {count} past {what}{since}{run}. New ones will be celebrated.")
    ],
    "backfill": [
        (
            "More to watch in {label}",
            "Added {count} earlier {what}{since}{run}. New ones will be celebrated.",
        )
    ],
}
