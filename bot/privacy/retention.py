"""The retention period: what is older than it is deleted, from the log and the tracker store,
and the Telegram memberships of people who wrote nothing for that long (and, each day, the
wrong join codes that no longer count)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import delete, inspect
from sqlalchemy.sql.elements import ColumnElement

from bot.channels.access import Members, forget_stale_attempts
from bot.db import make_engine, utc_now
from bot.settings import Settings

if TYPE_CHECKING:  # the log is handed in: the broker's writer and the CLI each have theirs
    from bot.adoption_log.store import LogStore

EVENTS = SQLTrackerStore.SQLEvent.__table__
# A shorter period would delete today's conversations: a typo (`--days 0`) must not empty the log.
MIN_DAYS = 1


@dataclass(frozen=True)
class Purged:
    before: dt.datetime
    log_rows: int
    tracker_events: int
    memberships: int


def purge(settings: Settings, store: LogStore, days: int | None = None, now: dt.datetime | None = None) -> Purged:
    days = days if days is not None else settings.retention_days
    if days < MIN_DAYS:
        raise ValueError(f"the retention period is at least {MIN_DAYS} day; {days} would delete today's data too")
    before = (now or utc_now()) - dt.timedelta(days=days)
    memberships = Members(store.engine).purge_inactive(before)  # before the log: it tells who was active
    forget_stale_attempts(store.engine, now)  # wrong join codes, when no new one came to clear them
    return Purged(before, store.purge(before), purge_before(settings.tracker_db_url, before), memberships)


def purge_before(url: str, before: dt.datetime) -> int:
    """Delete the tracker events older than `before` (UTC)."""
    return delete_tracker_events(url, EVENTS.c.timestamp < before.replace(tzinfo=dt.timezone.utc).timestamp())


def delete_tracker_events(url: str, condition: ColumnElement) -> int:
    """Delete the tracker events that match; 0 if Rasa never created its table."""
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table(EVENTS.name):
            return 0
        with engine.begin() as connection:
            return connection.execute(delete(EVENTS).where(condition)).rowcount
    finally:
        engine.dispose()
