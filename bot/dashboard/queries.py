"""What the dashboard shows, computed in SQL on SQLite or PostgreSQL.

Trust rule: every aggregate carries the number of distinct people behind it, and a
figure that rests on fewer than MIN_PEOPLE is replaced by None, which the pages
render as "fewer than 5 people". There is no query by person: sentiment is only
ever averaged over a group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ColumnElement

from bot.adoption_log.store import HandledRequestRow, MessageRow

MIN_PEOPLE = 5
NO_RATINGS = "no ratings yet"
FALLBACK_INTENTS = ("nlu_fallback", "out_of_scope")
T = MessageRow.__table__


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date  # inclusive
    team: str | None = None
    channel: str | None = None
    language: str | None = None

    @classmethod
    def default(cls, today: dt.date | None = None) -> Filters:
        today = today or dt.datetime.now(dt.timezone.utc).date()
        return cls(start=today - dt.timedelta(weeks=12), end=today)

    def period(self) -> list[ColumnElement]:
        return [
            T.c.ts >= dt.datetime.combine(self.start, dt.time()),
            T.c.ts < dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()),
        ]

    def conditions(self, direction: str = "user") -> list[ColumnElement]:
        conditions = [T.c.direction == direction, *self.period()]
        for column, value in (("team", self.team), ("channel", self.channel), ("language", self.language)):
            if value:
                conditions.append(T.c[column] == value)
        return conditions

    def halves(self) -> tuple[Filters, Filters]:
        middle = self.start + (self.end - self.start) / 2
        return replace(self, end=middle), replace(self, start=middle + dt.timedelta(days=1))


def shown(count: int, people: int) -> int | None:
    return count if people >= MIN_PEOPLE else None


def _week(engine: Engine) -> ColumnElement:
    """The Monday of the row's week, as a date (PostgreSQL) or 'YYYY-MM-DD' (SQLite)."""
    if engine.dialect.name == "postgresql":
        return func.date(func.date_trunc("week", T.c.ts))
    return func.date(T.c.ts, "weekday 0", "-6 days")


def _rows(engine: Engine, query: Executable) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(query))


def _people() -> ColumnElement:
    return func.count(func.distinct(T.c.user_id))


def is_objection() -> ColumnElement:
    return T.c.intent.like("objection\\_%", escape="\\")


def totals(engine: Engine, filters: Filters) -> dict[str, int | None]:
    [(messages, people)] = _rows(engine, select(func.count(), _people()).where(*filters.conditions()))
    return {"messages": shown(messages, people), "people": shown(people, people)}


def weekly_by_intent(engine: Engine, filters: Filters, intent: str | None = None) -> list[dict[str, Any]]:
    """Objection messages per week and objection: [{week, intent, count (None if < 5 people)}]."""
    week = _week(engine).label("week")
    query = (
        select(week, T.c.intent, func.count(), _people())
        .where(*filters.conditions(), is_objection() if intent is None else T.c.intent == intent)
        .group_by(week, T.c.intent)
        .order_by(week, T.c.intent)
    )
    return [{"week": str(w), "intent": i, "count": shown(c, p)} for w, i, c, p in _rows(engine, query)]


def weekly_sentiment(engine: Engine, filters: Filters) -> list[dict[str, Any]]:
    """Per week: the group's average score and share of each label, over typed messages only."""
    week = _week(engine).label("week")
    labels = [
        func.sum(case((T.c.sentiment_label == label, 1), else_=0)) for label in ("negative", "neutral", "positive")
    ]
    query = (
        select(week, func.avg(T.c.sentiment_score), func.count(), _people(), *labels)
        .where(*filters.conditions(), T.c.sentiment_label.isnot(None))
        .group_by(week)
        .order_by(week)
    )
    result = []
    for w, average, count, people, negative, neutral, positive in _rows(engine, query):
        visible = people >= MIN_PEOPLE
        result.append(
            {
                "week": str(w),
                "average": round(float(average), 3) if visible else None,
                "negative": round(negative / count, 3) if visible else None,
                "neutral": round(neutral / count, 3) if visible else None,
                "positive": round(positive / count, 3) if visible else None,
            }
        )
    return result


def counts_by(
    engine: Engine, filters: Filters, column: str, where: Sequence[ColumnElement] = ()
) -> list[dict[str, Any]]:
    """Messages and people per value of `column` (team, channel, language, intent)."""
    query = (
        select(T.c[column], func.count(), _people())
        .where(*filters.conditions(), *where)
        .group_by(T.c[column])
        .order_by(func.count().desc())
    )
    return [{column: value or "(none)", "count": shown(c, p)} for value, c, p in _rows(engine, query)]


def rising(engine: Engine, filters: Filters, top: int = 3) -> list[dict[str, Any]]:
    """The objections that grew most from the first half of the range to the second."""
    earlier, later = ({row["intent"]: row for row in _intent_counts(engine, half)} for half in filters.halves())
    candidates = []
    for intent, now in later.items():
        before = earlier.get(intent, {"count": 0, "people": 0})
        if now["people"] >= MIN_PEOPLE and now["count"] > before["count"]:
            candidates.append(
                {
                    "intent": intent,
                    "before": shown(before["count"], before["people"]),
                    "after": now["count"],
                    "rise": now["count"] - before["count"],
                }
            )
    return sorted(candidates, key=lambda c: (-c["rise"], c["intent"]))[:top]


def _intent_counts(engine: Engine, filters: Filters) -> list[dict[str, Any]]:
    query = (
        select(T.c.intent, func.count(), _people()).where(*filters.conditions(), is_objection()).group_by(T.c.intent)
    )
    return [{"intent": i, "count": c, "people": p} for i, c, p in _rows(engine, query)]


def answers(engine: Engine, filters: Filters) -> list[dict[str, Any]]:
    """Per knowledge entry: how often it was given, and the share of "that helped" / "that didn't help"."""
    helped = func.sum(case((T.c.feedback == "helpful", 1), else_=0))
    not_helped = func.sum(case((T.c.feedback == "not_helpful", 1), else_=0))
    given = func.sum(case((T.c.feedback.is_(None), 1), else_=0))
    query = (
        select(T.c.kb_entry, given, helped, not_helped, _people())
        .where(*filters.conditions("bot"), T.c.kb_entry.isnot(None))
        .group_by(T.c.kb_entry)
        .order_by(given.desc())
    )
    result = []
    for entry, given_count, helped_count, not_helped_count, people in _rows(engine, query):
        visible = people >= MIN_PEOPLE
        rated = helped_count + not_helped_count
        result.append(
            {
                "kb_entry": entry,
                "given": given_count if visible else None,
                "rated": rated if visible else None,
                "helped_share": _share(helped_count, rated) if visible else None,
                "not_helped_share": _share(not_helped_count, rated) if visible else None,
            }
        )
    return result


def _share(part: int, whole: int) -> Any:
    return round(part / whole, 3) if whole else NO_RATINGS


def not_understood(engine: Engine, filters: Filters, limit: int = 2000) -> list[dict[str, Any]]:
    """The messages the coach fell back on (text and intent), newest first, for grouping."""
    query = (
        select(T.c.text, T.c.intent, T.c.language, T.c.ts)
        .where(*filters.conditions(), T.c.intent.in_(FALLBACK_INTENTS), T.c.text.isnot(None))
        .order_by(T.c.ts.desc())
        .limit(limit)
    )
    return [{"text": t, "intent": i, "language": lang, "ts": ts} for t, i, lang, ts in _rows(engine, query)]


def conversations(engine: Engine, filters: Filters, search: str = "", limit: int = 200) -> list[dict[str, Any]]:
    """Pseudonymous conversations with a message that matches the filters (and `search`), latest first."""
    matching = select(T.c.user_id).where(*filters.conditions())
    if search:
        matching = matching.where(func.lower(T.c.text).like(f"%{search.lower()}%"))
    query = (
        select(T.c.user_id, func.count(), func.min(T.c.ts), func.max(T.c.ts))
        .where(T.c.user_id.in_(matching), *filters.period())
        .group_by(T.c.user_id)
        .order_by(func.max(T.c.ts).desc())
        .limit(limit)
    )
    return [{"user": u, "messages": c, "first": first, "last": last} for u, c, first, last in _rows(engine, query)]


def transcript(engine: Engine, user_id: str, limit: int = 500) -> list[dict[str, Any]]:
    """One pseudonymous conversation; no sentiment: it is never shown per person."""
    query = (
        select(T.c.ts, T.c.direction, T.c.text, T.c.intent, T.c.language, T.c.kb_entry)
        .where(T.c.user_id == user_id)
        .order_by(T.c.ts, T.c.id)
        .limit(limit)
    )
    return [dict(row._mapping) for row in _rows(engine, query)]


# What a trainer sees of a conversation before a request to talk to a person.
MESSAGES_BEFORE_REQUEST = 10
H = HandledRequestRow.__table__


def person_requests(engine: Engine, include_handled: bool = False, limit: int = 200) -> list[dict[str, Any]]:
    """Requests to talk to a person, newest first, each with the conversation's last messages."""
    query = (
        select(T.c.event_id, T.c.ts, T.c.user_id, T.c.channel, T.c.team, T.c.language, H.c.handled_by, H.c.handled_at)
        .select_from(T.outerjoin(H, H.c.event_id == T.c.event_id))
        .where(T.c.request.isnot(None))
        .order_by(T.c.ts.desc(), T.c.id.desc())
        .limit(limit)
    )
    if not include_handled:
        query = query.where(H.c.event_id.is_(None))
    requests = [dict(row._mapping) for row in _rows(engine, query)]
    for found in requests:
        found["messages"] = _messages_before(engine, found["user_id"], found["ts"])
    return requests


def _messages_before(engine: Engine, user_id: str, moment: dt.datetime) -> list[dict[str, Any]]:
    query = (
        select(T.c.ts, T.c.direction, T.c.text, T.c.intent)
        .where(T.c.user_id == user_id, T.c.ts <= moment)
        .order_by(T.c.ts.desc(), T.c.id.desc())
        .limit(MESSAGES_BEFORE_REQUEST)
    )
    return [dict(row._mapping) for row in reversed(list(_rows(engine, query)))]


def filter_options(engine: Engine) -> dict[str, list[str]]:
    """The teams, channels and languages present in the log, for the filter menus."""
    options = {}
    for column in ("team", "channel", "language"):
        query = select(T.c[column]).where(T.c[column].isnot(None)).distinct().order_by(T.c[column])
        options[column] = [value for (value,) in _rows(engine, query)]
    return options
