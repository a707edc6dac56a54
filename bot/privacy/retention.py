"""The retention period: what is older than it is deleted, from the log and the tracker store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import delete, inspect

from bot.db import make_engine, utc_now
from bot.settings import Settings

if TYPE_CHECKING:  # the log is handed in: privacy does not depend on the adoption log
    from bot.adoption_log.store import LogStore

EVENTS = SQLTrackerStore.SQLEvent.__table__


@dataclass(frozen=True)
class Purged:
    before: dt.datetime
    log_rows: int
    tracker_events: int


def purge(settings: Settings, store: LogStore, days: int | None = None, now: dt.datetime | None = None) -> Purged:
    before = (now or utc_now()) - dt.timedelta(days=days if days is not None else settings.retention_days)
    return Purged(before, store.purge(before), purge_before(settings.tracker_db_url, before))


def purge_before(url: str, before: dt.datetime) -> int:
    """Delete the tracker events older than `before` (UTC); 0 if Rasa never created its table."""
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table(EVENTS.name):
            return 0
        cutoff = before.replace(tzinfo=dt.timezone.utc).timestamp()
        with engine.begin() as connection:
            return connection.execute(delete(EVENTS).where(EVENTS.c.timestamp < cutoff)).rowcount
    finally:
        engine.dispose()
