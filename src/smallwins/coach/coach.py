"""The coach: runs the rules over wins and the clock, and turns what they tell into moments.

It keeps one Tracker per goal in memory (rebuilt from the ledger at start), so a new win costs
only its own update. Everything it tells is a Moment with a dedupe key, written in the same
transaction as the wins (or the clock tick) that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from smallwins.api.goal import Goal
from smallwins.api.moment import Moment
from smallwins.api.progress import DayClose, Tracker, WeekClose
from smallwins.api.rules import Rule, SourceWords, WinEvent
from smallwins.api.win import kept_private
from smallwins.api.wording import Templates
from smallwins.coach.celebration import (
    ScanInfo,
    burst_due,
    celebration_moment,
    progress_text,
    summary_moment,
)
from smallwins.coach.digest import digest_moments, untitled
from smallwins.coach.experiment import ended_moments
from smallwins.coach.life import Life, celebrates, far_from_usual
from smallwins.coach.schedule import Schedule
from smallwins.coach.trackers import closed, has_days, take_in, tracker_from
from smallwins.coach.voice import Voice, call_rule
from smallwins.config import QuietHours, Settings
from smallwins.ledger import LedgerView, StoredWin
from smallwins.plugins.source import Source

log = logging.getLogger("smallwins.coach")


class Coach:
    """Runs the rules over wins and the clock, keeping one tracker per goal."""

    def __init__(
        self,
        goals: Sequence[Goal],
        rules: Sequence[tuple[str, Rule]],
        templates: Templates,
        *,
        zone: ZoneInfo,
        day_starts_at: time,
        quiet_hours: QuietHours | None = None,
        digest: str = "daily",
        digest_at: time = time(20, 30),
        private_sources: Iterable[str] = (),
        source_words: Mapping[str, SourceWords] | None = None,
        hold_all: bool = False,
    ) -> None:
        self.schedule = Schedule(zone, day_starts_at, quiet_hours, digest, digest_at, hold_all)
        self.goals = list(goals)
        self.rules = list(rules)
        self.templates = templates
        self.voice = Voice(templates, self.schedule)
        self.trackers: dict[str, Tracker] = {}
        self.lives: dict[str, Life] = {}
        self.private_sources: set[str] = {s for g in self.goals if g.private for s in g.sources}
        self.private_sources.update(private_sources)
        self.source_words = dict(source_words or {})
        # What the days (and week) that ended last did, closed quietly by ``load``: the next
        # tick speaks them (their keys keep them from being told twice).
        self._unspoken: dict[str, tuple[list[DayClose], list[WeekClose]]] = {}
        # Where the ledger's changes stood when the trackers last took them in: on a shared
        # ledger each scan catches up from it on what the other machines recorded. None:
        # unknown (never loaded, or a recording failed after the trackers took its wins in).
        self.news_mark: int | None = None

    # -- building -------------------------------------------------------------------------

    def load(self, ledger: LedgerView, now: datetime) -> None:
        """Rebuild every goal's tracker from the ledger; days before today are closed quietly,
        but the last day and week that ended are left for the next tick to speak (a laptop off
        at night still tells its setbacks, marginal gains and level-ups)."""
        self._unspoken, self.news_mark, mark = {}, None, ledger.news_mark()
        for goal in self.goals:
            self.trackers[goal.name] = self._rebuild(
                ledger, goal, self.schedule.today(now), speak_later=True
            )
        self.news_mark = mark  # only once every goal is drawn: a load cut short leaves it unknown

    def _rebuild(
        self,
        ledger: LedgerView,
        goal: Goal,
        today: date,
        *,
        without: Sequence[int] = (),
        speak_later: bool = False,
    ) -> Tracker:
        """A goal's tracker from the ledger, without the wins whose ids are in ``without``,
        closed through yesterday."""
        tracker = tracker_from(ledger, goal, without=without)
        days, weeks = tracker.close_through(today - timedelta(days=1))
        self.lives[goal.name] = Life.of(goal, days, weeks)
        if speak_later:
            self._unspoken[goal.name] = (days[-1:], weeks[-1:])
        return tracker

    def goals_of(self, source: str, kind: str, tags: Sequence[str]) -> list[Goal]:
        return [g for g in self.goals if g.counts(source, kind, tuple(tags))]

    # -- wins -----------------------------------------------------------------------------

    def on_scan(
        self,
        ledger: LedgerView,
        scan: ScanInfo,
        new: list[StoredWin],
        *,
        now: datetime,
        coalesce: timedelta,
    ) -> list[Moment]:
        """The moments a scan's new wins make (DESIGN section 7): history becomes at most one
        summary, each live win a celebration (a burst of them one message), and the rules
        have their say."""
        today = self.schedule.today(now)
        self.voice.begin()
        if scan.first_scan:
            live, history = [], new
        else:
            live = [w for w in new if w.key not in scan.history_keys]
            history = [w for w in new if w.key in scan.history_keys]
        # Rebuilt from the ledger: goals whose rest days changed or that got history (once per
        # kind: a first scan brings thousands), and on a shared ledger those that the other
        # machines' news cannot simply be added to; the new live wins are left out, counted
        # (and told) one by one.
        stale = self._catch_up(ledger, new, today) if scan.shared else set()
        kinds = {(w.source, w.kind, w.tags) for w in history}
        stale |= {g.name for source, kind, tags in kinds for g in self.goals_of(source, kind, tags)}
        if scan.rest_days_changed:
            stale |= {g.name for g in self.goals if scan.name in g.sources}
        live_ids = [w.id for w in live]
        for goal in self.goals:
            if goal.name in stale:
                if not has_days(self.trackers.get(goal.name)):
                    # History is not news: a goal's first days ended before the coach knew them.
                    self._unspoken.pop(goal.name, None)
                pending = goal.name in self._unspoken
                self.trackers[goal.name] = self._rebuild(
                    ledger, goal, today, without=live_ids, speak_later=pending
                )
        late = {  # asked of the trackers as rebuilt: a rebuild closes the days before today
            g.name
            for w in live
            for g in self.goals_of(w.source, w.kind, w.tags)
            if closed(self.trackers.get(g.name), w.day)
        }
        before_late: dict[str, Tracker | None] = {}
        for goal in self.goals:
            if goal.name in late:
                # Closes not yet spoken are worked out again: a late win may have met the day.
                pending = goal.name in self._unspoken
                # A closed day cannot take a win: the whole scan's change is told at its
                # goal's first live win, from the tracker without it to the rebuilt one.
                if goal.name in stale:
                    before_late[goal.name] = self.trackers[goal.name]
                else:
                    before_late[goal.name] = self._rebuild(ledger, goal, today, without=live_ids)
                self.trackers[goal.name] = self._rebuild(ledger, goal, today, speak_later=pending)
        if not new:
            return []
        moments: list[Moment] = []
        if history:
            moments.append(
                summary_moment(
                    scan, history, templates=self.templates, backfill=not scan.first_scan, now=now
                )
            )
        if live:
            group = f"burst:{scan.name}"
            due = burst_due(ledger, group, now, coalesce, self.schedule.hold(scan.interactive))
            for win in sorted(live, key=lambda w: (w.occurred_at, w.id)):
                moments.extend(self._live_win(ledger, scan, win, group, due, now, before_late))
        return moments

    def _catch_up(self, ledger: LedgerView, new: list[StoredWin], today: date) -> set[str]:
        """Take in what other machines recorded since; the goals to count again instead."""
        if self.news_mark is None:
            self.news_mark = ledger.news_mark()
            return {goal.name for goal in self.goals}
        news = ledger.news_since(self.news_mark, excluding=[w.id for w in new])
        self.news_mark = news.mark
        yesterday = today - timedelta(days=1)
        return take_in(news, self.goals, self.trackers, self.private_sources, yesterday)

    def _live_win(
        self,
        ledger: LedgerView,
        scan: ScanInfo,
        win: StoredWin,
        group: str,
        due: datetime,
        now: datetime,
        before_late: dict[str, Tracker | None],
    ) -> list[Moment]:
        moments: list[Moment] = []
        progress_note = ""
        title = "" if scan.private or kept_private(win.details) else win.title
        goals = self.goals_of(win.source, win.kind, win.tags)
        for goal in [g for g in goals if g.limit and g.name not in before_late]:
            # A win against a limit is no small win: it is counted, its day told when it ends.
            tracker = self.trackers.setdefault(goal.name, Tracker(goal))
            tracker.add(win.day, win.occurred_at, win.value, title)
        # A win of no goal has no habit to grow with: it is celebrated, as every win once was.
        celebrate = not goals
        for goal in [g for g in goals if not g.limit]:
            tracker = self.trackers.setdefault(goal.name, Tracker(goal))
            usual = far_from_usual(goal, tracker, win.day, win.value)
            if goal.name in before_late:
                prior, before_late[goal.name] = before_late[goal.name], None
                today = self.schedule.today(now)
                after = tracker.snapshot(today)
                before = prior.snapshot(today) if prior else after
                gap = prior.gap_before(win.day) if prior else 0
                first_today = prior is not None and win.day not in prior.days
            else:
                before = tracker.snapshot(win.day)
                gap = tracker.gap_before(win.day)
                first_today = win.day not in tracker.days
                tracker.add(win.day, win.occurred_at, win.value, title)
                after = tracker.snapshot(win.day)
            if not progress_note:
                progress_note = progress_text(goal, before, after)
            life = self.lives.setdefault(goal.name, Life())
            celebrate = celebrate or celebrates(goal, life, before)
            event = WinEvent(
                goal=goal,
                source=win.source,
                key=win.key,
                title=title,
                value=win.value,
                at=win.occurred_at,
                day=win.day,
                before=untitled(before),
                after=untitled(after),
                gap_days=gap,
                first_today=first_today,
                unit=win.unit,
                **usual,
            )
            for rule_name, rule in self.rules:
                tells = call_rule(rule_name, rule.on_win, event)
                moments.extend(
                    self.voice.moments(ledger, tells, now, goal=goal.name, source=win.source)
                )
        if any(goal.limit for goal in goals):
            return moments
        if not celebrate:
            # A habit that has set hears news only: this win folds into the digest.
            for moment in moments:
                moment.due_at = due
            return moments
        celebration = celebration_moment(
            ledger,
            scan,
            win,
            templates=self.templates,
            progress_note=progress_note,
            due=due,
            now=now,
            group=group,
            last_words=self.voice.last_words(ledger, "celebration"),
        )
        self.voice.said(celebration)
        # A win is told before what it caused (a total, a streak), with it: in its burst.
        for moment in moments:
            moment.due_at = celebration.due_at
        return [celebration, *moments]

    # -- the clock ------------------------------------------------------------------------

    def on_clock(self, ledger: LedgerView, now: datetime) -> list[Moment]:
        """Close the days (and weeks) that have ended; tell the digest when it is time."""
        today = self.schedule.today(now)
        self.voice.begin()
        moments: list[Moment] = []
        for goal in self.goals:
            tracker = self.trackers.setdefault(goal.name, Tracker(goal))
            days, weeks = self._unspoken.pop(goal.name, ([], []))
            closed_days, closed_weeks = tracker.close_through(today - timedelta(days=1))
            self.lives.setdefault(goal.name, Life()).close(goal, closed_days, closed_weeks)
            days, weeks = days + closed_days, weeks + closed_weeks
            # Only the newest closes speak: a daemon waking after a week away does not
            # replay seven days of notes.
            snapshot = untitled(tracker.snapshot(today))
            moments += self.voice.closes(ledger, self.rules, days[-1:], weeks[-1:], snapshot, now)
        digest_at = self.schedule.digest_time(today)
        if digest_at is not None and now >= digest_at:
            moments.extend(digest_moments(self, ledger, today, now))
        return moments + ended_moments(ledger, self.goals, self.trackers, self.schedule, now)


def build_goals(settings: Settings, sources: Sequence[Source]) -> list[Goal]:
    """The configured goals; with none, one per source: a win a day."""
    by_name = {source.name: source for source in sources}
    goals = []
    if settings.goals:
        for name, goal_settings in settings.goals.items():
            # A goal may name sources that are no longer configured: their wins still count.
            members = [by_name[n] for n in goal_settings.sources if n in by_name]
            goals.append(
                Goal.from_settings(
                    name,
                    goal_settings,
                    noun=members[0].detector.noun if members else "win",
                    plural=members[0].detector.plural_noun() if members else "wins",
                    private=any(m.settings.private for m in members),
                    celebrate=settings.celebrate,
                )
            )
        return goals
    return [
        Goal(
            name=source.name,
            sources=(source.name,),
            noun=source.detector.noun,
            plural=source.detector.plural_noun(),
            private=source.settings.private,
            label=source.label,
            celebrate=settings.celebrate,
        )
        for source in sources
    ]


def build_coach(
    settings: Settings,
    sources: Sequence[Source],
    rules: Sequence[tuple[str, Rule]],
    templates: Templates,
) -> Coach:
    """A coach for the config: its goals, the plugins' rules, and the config's wordings over
    the plugins'."""
    merged = templates.copy()
    for kind, variants in settings.templates.items():
        merged.register(kind, [{"title": v.title, "body": v.body} for v in variants])
    return Coach(
        build_goals(settings, sources),
        rules,
        merged,
        zone=settings.zone(),
        day_starts_at=settings.day_starts_at,
        quiet_hours=settings.notify.quiet_hours,
        hold_all=settings.notify.quiet_hours_hold == "all",
        digest=settings.digest,
        digest_at=settings.digest_at,
        private_sources=[s.name for s in sources if s.settings.private],
        source_words={
            s.name: SourceWords(s.detector.noun, s.detector.plural_noun(), s.label) for s in sources
        },
    )
