"""What the coach sends whom, and when. Run `plan(now)` often (the worker does, every pass).

For each person who agreed (and only them):
- a tip check COACH_FOLLOWUP_DAYS working days after each practical tip they were given (tips
  given from a day before they agreed), at the same local time moved into working hours;
- the weekly pulse on Friday afternoon and a refresher on Tuesday, planned when their moment
  comes (not earlier, so that tip checks, which the person asked for, come first), and only in
  weeks they had agreed by then;
- at most two messages in an ISO week: the pulse's place is kept, so a week holds one tip check
  or one refresher besides it; a tip check that finds its week full moves to the next week's
  first working hour (twice at most), a refresher is skipped.
A refresher is one knowledge entry's tip the person has not had (not as a tip, a refresher or a
tip check): from the objections they raised first, then the most common in their team.

Each person is planned in a transaction that first writes their consent row (`hold`): two
replicas plan one person one after the other, and someone who just said "stop" is not planned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection

from sqlalchemy.engine import Connection

from bot.followups import history
from bot.followups.schedule import Schedule
from bot.followups.store import PULSE, REFRESHER, TIP_CHECK, Consent, FollowupStore, Plan

WEEKLY_CAP = 2
MAX_WEEKS_MOVED = 2
# Tips given shortly before agreeing still get their check: the offer comes after an answer.
TIPS_BEFORE_CONSENT = dt.timedelta(days=1)
DRY_RUN_ENTRY = "(any)"


class Planner:
    def __init__(self, store: FollowupStore, schedule: Schedule, entries: Callable[[], Collection[str]]) -> None:
        self.store, self.schedule = store, schedule
        self.entries = entries  # the knowledge entries that exist now (a refresher draws on one)

    def plan(self, now: dt.datetime, user_ids: Collection[str] | None = None) -> int:
        """Plans what is not planned yet, for everyone who agreed (or those of `user_ids`); returns
        how many messages it added. Reads the tips and plans in two queries; only a person with
        something to add is written (and held)."""
        consents = self.store.consenting(user_ids)
        if not consents:
            return 0
        users = [consent.user_id for consent in consents]
        since = min(consent.updated_at for consent in consents) - TIPS_BEFORE_CONSENT
        with self.store.engine.connect() as connection:
            tips, plans = history.tips_given(connection, users, since), self.store.plans_of(connection, users)
        added = 0
        for consent in consents:
            mine = [tip for tip in tips[consent.user_id] if tip.ts >= consent.updated_at - TIPS_BEFORE_CONSENT]
            if not self._plan_person(
                _Book(self.store, None, consent.user_id, plans[consent.user_id]), consent, mine, now
            ):
                continue
            with self.store.engine.begin() as connection:
                if self.store.hold(
                    connection, consent.user_id, now
                ):  # then read again: another replica may have planned
                    book = _Book(
                        self.store,
                        connection,
                        consent.user_id,
                        self.store.plans_of(connection, [consent.user_id])[consent.user_id],
                    )
                    added += self._plan_person(book, consent, mine, now)
        return added

    def _plan_person(self, book: _Book, consent: Consent, tips: list[history.GivenTip], now: dt.datetime) -> int:
        added = sum(self._tip_check(book, tip) for tip in tips)
        week = self.schedule.week_of(now)
        if self._weekly_moment(consent, now, self.schedule.refresher_time(week)) and not book.has(REFRESHER, week):
            entry = self.refresher_entry(book, consent.user_id)
            added += self._weekly(book, REFRESHER, week, entry) if entry else 0
        if self._weekly_moment(consent, now, self.schedule.pulse_time(week)):
            added += self._weekly(book, PULSE, week, None)
        return added

    @staticmethod
    def _weekly_moment(consent: Consent, now: dt.datetime, moment: dt.datetime) -> bool:
        """The weekly message's moment has come this week, and the person had agreed by then."""
        return consent.updated_at <= moment <= now

    def _tip_check(self, book: _Book, tip: history.GivenTip) -> int:
        if book.has(TIP_CHECK, tip.event_id):
            return 0
        due = self.schedule.after_working_days(tip.ts, self.schedule.followup_days)
        for _ in range(MAX_WEEKS_MOVED + 1):
            week = self.schedule.week_of(due)
            if book.has_room(week, TIP_CHECK):
                return book.add(
                    Plan(book.user_id, TIP_CHECK, tip.event_id, week, due, self.schedule.week_end(week), tip.kb_entry)
                )
            due = self.schedule.next_working_time(self.schedule.week_end(week))
        return 0

    def _weekly(self, book: _Book, kind: str, week: dt.date, entry: str | None) -> int:
        if book.has(kind, week) or not book.has_room(week, kind):
            return 0
        moment = self.schedule.pulse_time(week) if kind == PULSE else self.schedule.refresher_time(week)
        return book.add(Plan(book.user_id, kind, week.isoformat(), week, moment, self.schedule.week_end(week), entry))

    def refresher_entry(self, book: _Book, user_id: str) -> str | None:
        """The first entry, from the person's own objections and then their team's, that they have not had
        (a dry run, which reads nothing, assumes there is one)."""
        connection = book.connection
        if connection is None:
            return DRY_RUN_ENTRY
        had = history.entries_tipped(connection, user_id) | {plan.kb_entry for plan in book.plans}
        candidates = history.own_objections(connection, user_id)
        team = history.team_of(connection, user_id)
        if team:
            candidates += history.team_objections(connection, team)
        existing = set(self.entries())
        return next((entry for entry in candidates if entry in existing and entry not in had), None)


class _Book:
    """One person's planned messages, kept up to date as plans are added; without a connection,
    a dry run: what would be added, written nowhere."""

    def __init__(self, store: FollowupStore, connection: Connection | None, user_id: str, plans: list[Plan]) -> None:
        self.store, self.connection, self.user_id = store, connection, user_id
        self.plans = list(plans)

    def has(self, kind: str, reason: str | dt.date) -> bool:
        reason = reason.isoformat() if isinstance(reason, dt.date) else reason
        return any(plan.kind == kind and plan.reason == reason for plan in self.plans)

    def has_room(self, week: dt.date, kind: str) -> bool:
        """Room under the weekly cap; the pulse's place is kept for it."""
        kinds = [plan.kind for plan in self.plans if plan.week == week and plan.counts]
        kept_for_pulse = 0 if kind == PULSE or PULSE in kinds else 1
        return len(kinds) + kept_for_pulse < WEEKLY_CAP

    def add(self, plan: Plan) -> int:
        self.plans.append(plan)
        return 1 if self.connection is None else int(self.store.add(self.connection, plan))
