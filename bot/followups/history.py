"""What the follow-ups read from the adoption log about a person (by pseudonym): the tips they
were given, the objections they raised, their team and its most common objections, and the
language the coach last answered them in. Read only: the log stays the adoption log's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from bot.adoption_log.store import MessageRow
from bot.dashboard.queries import is_objection

T = MessageRow.__table__
TIP_INTENT = "ask_tip"


@dataclass(frozen=True)
class GivenTip:
    event_id: str
    ts: dt.datetime
    kb_entry: str


def tips_given(connection: Connection, user_ids: Collection[str], since: dt.datetime) -> dict[str, list[GivenTip]]:
    """The practical tips the coach gave these people since `since`, oldest first, by person."""
    query = (
        select(T.c.user_id, T.c.event_id, T.c.ts, T.c.kb_entry)
        .where(
            T.c.user_id.in_(list(user_ids)),
            T.c.direction == "bot",
            T.c.intent == TIP_INTENT,
            T.c.kb_entry.is_not(None),
            T.c.feedback.is_(None),
            T.c.ts >= since,
        )
        .order_by(T.c.ts, T.c.id)
    )
    tips: dict[str, list[GivenTip]] = {user_id: [] for user_id in user_ids}
    for user_id, *tip in connection.execute(query):
        tips[user_id].append(GivenTip(*tip))
    return tips


def entries_tipped(connection: Connection, user_id: str) -> set[str]:
    """Every knowledge entry whose tip the person was given, ever (as far as the log keeps)."""
    query = select(T.c.kb_entry).where(
        T.c.user_id == user_id, T.c.direction == "bot", T.c.intent == TIP_INTENT, T.c.kb_entry.is_not(None)
    )
    return set(connection.execute(query).scalars())


def own_objections(connection: Connection, user_id: str) -> list[str]:
    """The objections the person raised, the most often raised first (ties: the earliest first)."""
    query = (
        select(T.c.intent)
        .where(T.c.user_id == user_id, T.c.direction == "user", is_objection())
        .group_by(T.c.intent)
        .order_by(func.count().desc(), func.min(T.c.ts), T.c.intent)
    )
    return list(connection.execute(query).scalars())


def team_of(connection: Connection, user_id: str) -> str | None:
    """The team of the person's latest message that had one (the adoption lead's mapping)."""
    return _latest(connection, T.c.team, user_id, "user")


def team_objections(connection: Connection, team: str) -> list[str]:
    """The team's objections, the most common first."""
    query = (
        select(T.c.intent)
        .where(T.c.team == team, T.c.direction == "user", is_objection())
        .group_by(T.c.intent)
        .order_by(func.count().desc(), T.c.intent)
    )
    return list(connection.execute(query).scalars())


def last_language(connection: Connection, user_id: str) -> str | None:
    """The language the coach last answered the person in."""
    return _latest(connection, T.c.language, user_id, "bot")


def _latest(connection: Connection, column: Any, user_id: str, direction: str) -> str | None:
    """`column` of the person's latest row in `direction` that has it."""
    query = (
        select(column)
        .where(T.c.user_id == user_id, T.c.direction == direction, column.is_not(None))
        .order_by(T.c.ts.desc(), T.c.id.desc())
        .limit(1)
    )
    return connection.execute(query).scalar()
