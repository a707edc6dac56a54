"""What the dashboard shows, computed in SQL on SQLite or PostgreSQL.

Trust rule: every aggregate carries the number of distinct people behind it, and a
figure that rests on fewer than MIN_PEOPLE is replaced by None, which the pages
render as "fewer than 5 people". There is no query by person: sentiment is only
ever averaged over a group.

A hidden figure must not come back by subtraction either, so:
- periods are whole ISO weeks (`Filters.whole_weeks`): no two periods differ by a day;
- at most one of team, channel and language filters a figure, and breakdowns by one of
  them are only made without such a filter: never team x channel;
- in a breakdown (by team, channel or language, or an objection's weeks) where a figure
  is hidden, the smallest shown one is hidden too, so the total minus the shown ones
  rests on 5 or more people (`partition_hidden`);
- a figure filtered by one of them is shown only where its part of that breakdown is:
  so it is hidden when its complement (everyone else) rests on 1-4 people, as the
  unfiltered figure minus it would show them, and when other filtered figures shown
  would add up to the total but for a small part;
- a rising objection is only listed when its earlier half is shown (or zero);
- a figure over a period is shown only when the same figure over its first and over its last
  week with data would be shown (`_edges_shown`): two periods differ by weeks at their ends,
  and whatever one has that the other lacks then holds one of those edge weeks, so it rests
  on 5 or more people (or on nobody). Week-by-week figures are one week each, so they follow
  from the rules above;
- and every figure over a period waits for the period as a whole (`check_period`): its first and
  its last week with data each rest on 5 or more people under the filter; otherwise the pages
  say so and link to the nearest period inside that does. The default period is the last 13
  weeks, cut to such weeks (`default_period`): on a Monday it ends with last week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping, Sequence
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
DIMENSIONS = ("team", "channel", "language")
WEEK = dt.timedelta(weeks=1)
T = MessageRow.__table__


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date  # inclusive
    team: str | None = None
    channel: str | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        if sum(1 for name in DIMENSIONS if getattr(self, name)) > 1:
            raise ValueError("one of team, channel and language at a time: together they single people out")

    def dimension(self) -> tuple[str, str] | None:
        """The one of team, channel and language that filters, with its value; None if none does."""
        return next(((name, getattr(self, name)) for name in DIMENSIONS if getattr(self, name)), None)

    @classmethod
    def default(cls, today: dt.date | None = None) -> Filters:
        today = today or dt.datetime.now(dt.timezone.utc).date()
        return cls.whole_weeks(today - 12 * WEEK, today)

    @classmethod
    def whole_weeks(cls, start: dt.date, end: dt.date, **dimension: str) -> Filters:
        """From the Monday of `start`'s week to the Sunday of `end`'s: no two periods differ by a day."""
        monday = start - dt.timedelta(days=start.weekday())
        sunday = end + dt.timedelta(days=6 - end.weekday())
        return cls(monday, sunday, **dimension)

    def period(self) -> list[ColumnElement]:
        return [
            T.c.ts >= dt.datetime.combine(self.start, dt.time()),
            T.c.ts < dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()),
        ]

    def conditions(self, direction: str = "user") -> list[ColumnElement]:
        conditions = [T.c.direction == direction, *self.period()]
        if dimension := self.dimension():
            conditions.append(T.c[dimension[0]] == dimension[1])
        return conditions

    def halves(self) -> tuple[Filters, Filters]:
        """The earlier and the later half of the weeks (the later one is longer by a week if they are odd)."""
        weeks = ((self.end - self.start).days + 1) // 7
        middle = self.start + (weeks // 2) * WEEK
        return replace(self, end=middle - dt.timedelta(days=1)), replace(self, start=middle)


Visible = Callable[[tuple[Any, ...], int], bool]


@dataclass(frozen=True)
class PeriodCheck:
    """Whether a period's figures may be shown: its first and its last week with data each rest
    on 5 or more people under the filter (and are not hidden in that week's breakdown by it)."""

    filters: Filters
    small_first_week: bool
    small_last_week: bool
    shown_weeks: tuple[dt.date, ...]  # the Mondays of the weeks that may be a period's first or last

    @property
    def shown(self) -> bool:
        return not (self.small_first_week or self.small_last_week)

    @property
    def nearest(self) -> Filters | None:
        """The nearest period inside that passes (keeping the ends that pass); None if no week does."""
        if not self.shown_weeks:
            return None
        start = self.shown_weeks[0] if self.small_first_week else self.filters.start
        end = self.shown_weeks[-1] + dt.timedelta(days=6) if self.small_last_week else self.filters.end
        return replace(self.filters, start=start, end=end)


def check_period(engine: Engine, filters: Filters) -> PeriodCheck:
    name, value = filters.dimension() or (None, None)
    weeks = _weekly_parts(engine, filters, [], [], "user", name).get((), {})
    with_data = sorted(week for week, people in weeks.items() if value in people)
    shown = [week for week in with_data if value not in partition_hidden(weeks[week])]
    small_first = bool(with_data) and with_data[0] not in shown
    small_last = bool(with_data) and with_data[-1] not in shown
    return PeriodCheck(filters, small_first, small_last, tuple(_monday(week) for week in shown))


def default_period(engine: Engine, dimension: Mapping[str, str] | None = None, today: dt.date | None = None) -> Filters:
    """The last 13 weeks (`Filters.default`) under the filter, from the first to the last week
    whose people may be shown: so on a Monday, before 5 people wrote, it ends with last week."""
    last_weeks = Filters.default(today)
    plain = Filters.whole_weeks(last_weeks.start, last_weeks.end, **(dimension or {}))
    weeks = check_period(engine, plain).shown_weeks
    return replace(plain, start=weeks[0], end=weeks[-1] + dt.timedelta(days=6)) if weeks else plain


def _monday(week: Any) -> dt.date:
    """A `_week` value as a date (SQLite gives it as text)."""
    return week if isinstance(week, dt.date) else dt.date.fromisoformat(str(week))


def _visibility(
    engine: Engine, filters: Filters, keys: Sequence[ColumnElement], where: Sequence[ColumnElement], direction: str
) -> Visible:
    """Whether a figure's cell (its key, its people) may be shown: 5 or more people and, for a
    figure filtered by a dimension, not hidden in the breakdown of the same cell by that dimension
    (`partition_hidden`); that hides it too when everyone else (its complement) is 1-4 people."""
    dimension = filters.dimension()
    name, value = dimension or (None, None)
    weeks = _weekly_parts(engine, filters, keys, where, direction, name)
    if name is None:
        return lambda key, people: people >= MIN_PEOPLE and _edges_shown(weeks.get(key, {}), None)
    query = (
        select(*keys, T.c[name], _people())
        .where(T.c.direction == direction, *filters.period(), *where)
        .group_by(*keys, T.c[name])
    )
    parts: dict[tuple[Any, ...], dict[Any, int]] = {}
    for *key, part, people in _rows(engine, query):
        parts.setdefault(tuple(key), {})[part] = people
    hidden = {key: partition_hidden(by_part) for key, by_part in parts.items()}
    return lambda key, people: (
        people >= MIN_PEOPLE and value not in hidden.get(key, set()) and _edges_shown(weeks.get(key, {}), value)
    )


# A figure's cell -> its weeks with data -> the people of each part of the cell's breakdown by
# a dimension in that week (one part, None, without a breakdown).
WeeklyParts = dict[tuple[Any, ...], dict[Any, dict[Any, int]]]


def _weekly_parts(
    engine: Engine,
    filters: Filters,
    keys: Sequence[ColumnElement],
    where: Sequence[ColumnElement],
    direction: str,
    dimension: str | None,
) -> WeeklyParts:
    """Over the period's weeks (for the filter's value of `dimension` among all of that dimension)."""
    week = _week(engine).label("week")
    part = [T.c[dimension]] if dimension else []
    query = (
        select(*keys, week, *part, _people())
        .where(T.c.direction == direction, *filters.period(), *where)
        .group_by(*keys, week, *part)
    )
    weeks: WeeklyParts = {}
    for row in _rows(engine, query):
        key, rest = tuple(row[: len(keys)]), row[len(keys) :]
        weeks.setdefault(key, {}).setdefault(rest[0], {})[rest[1] if dimension else None] = rest[-1]
    return weeks


def _edges_shown(weeks: Mapping[Any, Mapping[Any, int]], part: Any) -> bool:
    """Whether `part`'s figure would be shown over its first and over its last week with data
    (5 or more people, and not hidden in that week's breakdown); True without data."""
    with_data = sorted(week for week, people in weeks.items() if part in people)
    return all(part not in partition_hidden(weeks[week]) for week in with_data[:1] + with_data[-1:])


def partition_hidden(people: Mapping[Hashable, int]) -> set[Hashable]:
    """The parts of a breakdown (part -> people) to hide: those under 5 people and, if there are
    any, the smallest shown part too, so that the total minus the shown parts rests on 5 or more."""
    hidden = {part for part, count in people.items() if count < MIN_PEOPLE}
    shown_parts = sorted((count, str(part), part) for part, count in people.items() if count >= MIN_PEOPLE)
    if hidden and shown_parts:
        hidden.add(shown_parts[0][2])
    return hidden


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
    """Messages and people; the period's own check (`check_period`) is that of these figures."""
    [(messages, people)] = _rows(engine, select(func.count(), _people()).where(*filters.conditions()))
    visible = _visibility(engine, filters, [], [], "user")((), people)
    return {"messages": messages if visible else None, "people": people if visible else None}


def weekly_by_intent(engine: Engine, filters: Filters, intent: str | None = None) -> list[dict[str, Any]]:
    """Objection messages per week and objection: [{week, intent, count (None if hidden)}]; an
    objection's weeks are a breakdown of its total over the period (`partition_hidden`)."""
    week = _week(engine).label("week")
    where = [is_objection() if intent is None else T.c.intent == intent]
    query = (
        select(week, T.c.intent, func.count(), _people())
        .where(*filters.conditions(), *where)
        .group_by(week, T.c.intent)
        .order_by(week, T.c.intent)
    )
    rows = _rows(engine, query)
    visible = _visibility(engine, filters, [week, T.c.intent], where, "user")
    weeks_of: dict[str, dict[Hashable, int]] = {}
    for w, i, _, p in rows:
        weeks_of.setdefault(i, {})[w] = p
    hidden_weeks = {i: partition_hidden(weeks) for i, weeks in weeks_of.items()}
    return [
        {"week": str(w), "intent": i, "count": c if visible((w, i), p) and w not in hidden_weeks[i] else None}
        for w, i, c, p in rows
    ]


def weekly_sentiment(engine: Engine, filters: Filters) -> list[dict[str, Any]]:
    """Per week: the group's average score and share of each label, over typed messages only."""
    week = _week(engine).label("week")
    labels = [
        func.sum(case((T.c.sentiment_label == label, 1), else_=0)) for label in ("negative", "neutral", "positive")
    ]
    where = [T.c.sentiment_label.isnot(None)]
    query = (
        select(week, func.avg(T.c.sentiment_score), func.count(), _people(), *labels)
        .where(*filters.conditions(), *where)
        .group_by(week)
        .order_by(week)
    )
    shown_cell = _visibility(engine, filters, [week], where, "user")
    result = []
    for w, average, count, people, negative, neutral, positive in _rows(engine, query):
        visible = shown_cell((w,), people)
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
    """Messages per value of `column` (team, channel, language, intent). A breakdown by team,
    channel or language is a partition (`partition_hidden`), and none under a filter by one of them."""
    if column in DIMENSIONS and filters.dimension() is not None:
        return []
    query = (
        select(T.c[column], func.count(), _people())
        .where(*filters.conditions(), *where)
        .group_by(T.c[column])
        .order_by(func.count().desc())
    )
    rows = _rows(engine, query)
    period_shown = check_period(engine, filters).shown
    if column in DIMENSIONS:
        hidden = partition_hidden({value: p for value, _, p in rows})
        weeks = _weekly_parts(engine, filters, [], where, "user", column).get((), {})
        hidden |= {value for value, _, _ in rows if not (period_shown and _edges_shown(weeks, value))}
        return [{column: value or "(none)", "count": None if value in hidden else c} for value, c, _ in rows]
    visible = _visibility(engine, filters, [T.c[column]], where, "user")
    return [
        {column: value or "(none)", "count": c if period_shown and visible((value,), p) else None}
        for value, c, p in rows
    ]


def rising(engine: Engine, filters: Filters, top: int = 3) -> list[dict[str, Any]]:
    """The objections that grew most from the first half of the weeks to the second (none in one week)."""
    first, second = filters.halves()
    if first.end < first.start or not check_period(engine, filters).shown:
        return []
    earlier, later = (_intent_counts(engine, half) for half in (first, second))
    candidates: list[dict[str, Any]] = []
    # Both halves shown (or none earlier): a hidden earlier count would be the later one minus the rise.
    for intent, (after, after_shown) in later.items():
        before, before_shown = earlier.get(intent, (0, True))
        if after_shown and before_shown and after > before:
            candidates.append({"intent": intent, "before": before, "after": after, "rise": after - before})
    return sorted(candidates, key=lambda c: (-c["rise"], c["intent"]))[:top]


def _intent_counts(engine: Engine, filters: Filters) -> dict[str, tuple[int, bool]]:
    """Objection -> (messages, whether that figure may be shown)."""
    where = [is_objection()]
    query = select(T.c.intent, func.count(), _people()).where(*filters.conditions(), *where).group_by(T.c.intent)
    visible = _visibility(engine, filters, [T.c.intent], where, "user")
    return {i: (c, visible((i,), p)) for i, c, p in _rows(engine, query)}


def answers(engine: Engine, filters: Filters) -> list[dict[str, Any]]:
    """Per knowledge entry: how often it was given, and the share of "that helped" / "that didn't help"
    (the ratings, like any figure, only where they rest on at least MIN_PEOPLE people)."""
    helped = func.sum(case((T.c.feedback == "helpful", 1), else_=0))
    not_helped = func.sum(case((T.c.feedback == "not_helpful", 1), else_=0))
    given = func.sum(case((T.c.feedback.is_(None), 1), else_=0))
    raters = func.count(func.distinct(case((T.c.feedback.isnot(None), T.c.user_id))))
    where = [T.c.kb_entry.isnot(None)]
    query = (
        select(T.c.kb_entry, given, helped, not_helped, _people(), raters)
        .where(*filters.conditions("bot"), *where)
        .group_by(T.c.kb_entry)
        .order_by(given.desc())
    )
    shown_cell = _visibility(engine, filters, [T.c.kb_entry], where, "bot")
    period_shown = check_period(engine, filters).shown
    result = []
    for entry, given_count, helped_count, not_helped_count, people, rated_by in _rows(engine, query):
        visible = period_shown and shown_cell((entry,), people)
        ratings_shown = visible and (rated_by == 0 or rated_by >= MIN_PEOPLE)
        rated = helped_count + not_helped_count
        result.append(
            {
                "kb_entry": entry,
                "given": given_count if visible else None,
                "rated": rated if ratings_shown else None,
                "helped_share": _share(helped_count, rated) if ratings_shown else None,
                "not_helped_share": _share(not_helped_count, rated) if ratings_shown else None,
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
    if search:  # escaped: a % or _ typed is a character, not a wildcard
        matching = matching.where(func.lower(T.c.text).contains(search.lower(), autoescape=True))
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
