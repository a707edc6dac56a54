"""What the follow-ups' tests share: a migrated log database (SQLite, and PostgreSQL where it runs),
the company's schedule (Rome, 9-18), log rows as the coach writes them, and a recording sender."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from zoneinfo import ZoneInfo

import pytest

from bot.adoption_log.store import LogRecord
from bot.followups.schedule import Schedule
from bot.followups.texts import Outgoing

ROME = Schedule(ZoneInfo("Europe/Rome"), 9, 18, 3)
MONDAY = dt.datetime(2026, 11, 30, 7, 0)  # a Monday, 8:00 in Rome (UTC+1 in winter)


@pytest.fixture
def log(migrated_log):
    return migrated_log


def row(user: str, ts: dt.datetime, direction: str = "user", **fields) -> LogRecord:
    return LogRecord(event_id=str(uuid.uuid4()), ts=ts, user_id=user, direction=direction, channel="telegram", **fields)


def tip_row(user: str, ts: dt.datetime, entry: str, language: str = "it") -> LogRecord:
    """The reply to "a practical tip", as the event broker logs it."""
    return row(user, ts, "bot", intent="ask_tip", kb_entry=entry, language=language)


class RecordingSender:
    """Stands in for a platform: what each replica delivered, to which address, when."""

    def __init__(self, replica: str, clock: list[dt.datetime], outbox: list, fail_for: frozenset = frozenset()):
        self.replica, self.clock, self.outbox, self.fail_for = replica, clock, outbox, fail_for
        self._lock = threading.Lock()

    def send(self, address: str, message: Outgoing) -> None:
        if address in self.fail_for:
            raise ConnectionError("the platform is down")
        with self._lock:
            self.outbox.append((self.replica, address, self.clock[0], message))
