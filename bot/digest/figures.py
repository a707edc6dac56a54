"""The figures of one week's digest, taken only from the dashboard's queries
(`bot/dashboard/queries.py`) over whole ISO weeks, so that they are the dashboard's figures for
the same week and filters, hidden (None) where the dashboard says "fewer than 5 people".

This module owns which queries the digest asks and over which weeks: the week itself (top
objections, answers, not understood), the week before (how the objections moved), and the
TREND_WEEKS ending with it (mood per week, fastest-rising objection: the dashboard's overview
over those weeks). A digest whose week rests on fewer than 5 people is refused (`TooFewPeopleError`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from bot.dashboard import queries
from bot.dashboard.queries import Filters

TREND_WEEKS = 8
TOP_OBJECTIONS = 5
TOP_NOT_HELPFUL = 3
_ISO_WEEK = re.compile(r"(\d{4})-W(\d{2})")


class DigestError(ValueError):
    """A digest that cannot be made: the message says why, for the operator."""


class TooFewPeopleError(DigestError):
    pass


@dataclass(frozen=True)
class Week:
    monday: dt.date

    @classmethod
    def parse(cls, value: str) -> Week:
        """'2026-W46' -> that ISO week."""
        found = _ISO_WEEK.fullmatch(value.strip())
        if not found:
            raise DigestError(f"{value[:40]!r} is not a week: use YYYY-Www, e.g. 2026-W46")
        try:
            return cls(dt.date.fromisocalendar(int(found[1]), int(found[2]), 1))
        except ValueError:
            raise DigestError(f"{value!r}: the year {found[1]} has no week {found[2]}") from None

    @classmethod
    def last_complete(cls, today: dt.date) -> Week:
        """The week before `today`'s: the last one that is over."""
        return cls(today - dt.timedelta(days=today.weekday() + 7))

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    def before(self, weeks: int = 1) -> Week:
        return Week(self.monday - weeks * queries.WEEK)

    def __str__(self) -> str:
        year, number, _ = self.monday.isocalendar()
        return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class Objection:
    intent: str
    count: int
    previous: int | None  # the week before; None when that figure is hidden

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.count - self.previous


@dataclass(frozen=True)
class WeekFigures:
    week: Week
    team: str | None
    messages: int
    people: int
    objections: list[Objection]  # the most frequent shown this week, most first
    hidden_objections: int  # objections raised this week whose count is hidden
    mood: list[dict[str, Any]]  # queries.weekly_sentiment over the trend weeks
    rising: dict[str, Any] | None  # the first of queries.rising over the trend weeks
    not_helpful: list[dict[str, Any]]  # queries.answers rows with a shown "didn't help" share
    not_understood: list[dict[str, Any]]  # {"intent": nlu_fallback|out_of_scope, "count": int | None}

    @property
    def trend(self) -> Filters:
        return trend_filters(self.week, self.team)


def week_filters(week: Week, team: str | None) -> Filters:
    return Filters.whole_weeks(week.monday, week.monday, **_team(team))


def trend_filters(week: Week, team: str | None) -> Filters:
    return Filters.whole_weeks(week.before(TREND_WEEKS - 1).monday, week.monday, **_team(team))


def _team(team: str | None) -> dict[str, str]:
    return {"team": team} if team else {}


def collect(engine: Engine, week: Week, team: str | None = None) -> WeekFigures:
    """The week's figures, or TooFewPeopleError when the week (of the company or the team) rests on
    fewer than 5 people, as the dashboard would hide its totals."""
    if team is not None and team not in queries.filter_options(engine)["team"]:
        raise DigestError(f"no team {team!r} in the adoption log")
    this_week = week_filters(week, team)
    totals = queries.totals(engine, this_week)
    if totals["people"] is None or totals["messages"] is None:
        who = f"team {team}" if team else "the company"
        raise TooFewPeopleError(
            f"{week} of {who} rests on fewer than 5 people: no digest, so that nobody is singled out"
        )
    objections, hidden = _objections(engine, week, team)
    rising = queries.rising(engine, trend_filters(week, team), top=1)
    return WeekFigures(
        week=week,
        team=team,
        messages=totals["messages"],
        people=totals["people"],
        objections=objections,
        hidden_objections=hidden,
        mood=queries.weekly_sentiment(engine, trend_filters(week, team)),
        rising=rising[0] if rising else None,
        not_helpful=_not_helpful(engine, this_week),
        not_understood=queries.counts_by(
            engine, this_week, "intent", [queries.T.c.intent.in_(queries.FALLBACK_INTENTS)]
        ),
    )


def objection_counts(engine: Engine, filters: Filters) -> list[dict[str, Any]]:
    """The dashboard's Objections table: messages per objection."""
    return queries.counts_by(engine, filters, "intent", [queries.is_objection()])


def _objections(engine: Engine, week: Week, team: str | None) -> tuple[list[Objection], int]:
    now = objection_counts(engine, week_filters(week, team))
    # An objection nobody raised the week before is not in its rows: zero people, nothing hidden.
    before = {row["intent"]: row["count"] for row in objection_counts(engine, week_filters(week.before(), team))}
    shown = [row for row in now if row["count"] is not None]
    top = [Objection(row["intent"], row["count"], before.get(row["intent"], 0)) for row in shown[:TOP_OBJECTIONS]]
    return top, len(now) - len(shown)


def not_helped(row: dict[str, Any]) -> float:
    """How many of an answer's ratings said "that didn't help" (share x ratings), 0 if unknown."""
    share, rated = row["not_helped_share"], row["rated"]
    return share * rated if isinstance(share, float) and isinstance(rated, int) else 0.0


def _not_helpful(engine: Engine, filters: Filters) -> list[dict[str, Any]]:
    rated = [row for row in queries.answers(engine, filters) if not_helped(row) > 0]
    return sorted(rated, key=lambda row: (-not_helped(row), row["kb_entry"]))[:TOP_NOT_HELPFUL]
