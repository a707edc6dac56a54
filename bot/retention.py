"""The retention period: what is older than it is deleted, from the log and the tracker store."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from bot.log_store import LogStore, utc_now
from bot.settings import Settings
from bot.tracker_store import purge_before


@dataclass(frozen=True)
class Purged:
    before: dt.datetime
    log_rows: int
    tracker_events: int


def purge(settings: Settings, store: LogStore, days: Optional[int] = None, now: Optional[dt.datetime] = None) -> Purged:
    before = (now or utc_now()) - dt.timedelta(days=days if days is not None else settings.retention_days)
    return Purged(before, store.purge(before), purge_before(settings.tracker_db_url, before))
