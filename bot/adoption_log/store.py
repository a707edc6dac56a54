"""The adoption log: one row per message and per reply, in SQLite or PostgreSQL.

The schema is owned by Alembic (bot/migrations); `migrate()` brings any database
to the current revision. Rows are written only through `add`, which ignores a row
whose `event_id` is already stored: the outbox may deliver a batch twice after an
outage, and the log must not count a message twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields

from sqlalchemy import Column, DateTime, Float, Integer, String, Text, UniqueConstraint, delete, func, select
from sqlalchemy.orm import Session

from bot.db import Base, insert_ignoring_duplicates, make_engine, migrate, utc_now


class MessageRow(Base):
    __tablename__ = "message_log"
    __table_args__ = (UniqueConstraint("event_id", name="uq_message_log_event_id"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    event_id = Column(String(36), nullable=False)
    ts = Column(DateTime, nullable=False, index=True)  # UTC
    user_id = Column(String(64), nullable=False, index=True)
    channel = Column(String(32))
    team = Column(String(64))
    language = Column(String(8))
    direction = Column(String(4), nullable=False)  # "user" or "bot"
    text = Column(Text)
    intent = Column(String(64))
    confidence = Column(Float)
    sentiment_label = Column(String(16))
    sentiment_score = Column(Float)
    kb_entry = Column(String(64))
    feedback = Column(String(16))
    request = Column(String(16))  # "person": the salesperson asked for a person and agreed


class HandledRequestRow(Base):
    """A trainer dealt with a request to talk to a person (the log row's `event_id`)."""

    __tablename__ = "handled_requests"

    event_id = Column(String(36), primary_key=True)
    handled_by = Column(String(64), nullable=False)
    handled_at = Column(DateTime, nullable=False)


@dataclass(frozen=True)
class LogRecord:
    """A row as the rest of the coach sees it (the export's fields, plus the delivery id)."""

    event_id: str
    ts: dt.datetime
    user_id: str
    direction: str
    channel: str | None = None
    team: str | None = None
    language: str | None = None
    text: str | None = None
    intent: str | None = None
    confidence: float | None = None
    sentiment_label: str | None = None
    sentiment_score: float | None = None
    kb_entry: str | None = None
    feedback: str | None = None
    request: str | None = None


RECORD_FIELDS = [f.name for f in fields(LogRecord)]


class LogStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    def migrate(self) -> None:
        migrate(self.engine)

    def add(self, records: Iterable[LogRecord]) -> int:
        """Store the records not stored yet; returns how many were new."""
        rows = [asdict(r) for r in records]
        if not rows:
            return 0
        with Session(self.engine, future=True) as session, session.begin():
            result = session.execute(insert_ignoring_duplicates(self.engine, MessageRow.__table__, ["event_id"]), rows)
            return max(result.rowcount, 0)

    def records(self, since: dt.datetime | None = None) -> Iterator[LogRecord]:
        query = select(MessageRow).order_by(MessageRow.ts, MessageRow.id)
        if since is not None:
            query = query.where(MessageRow.ts >= since)
        with Session(self.engine, future=True) as session:
            for row in session.execute(query.execution_options(yield_per=500)).scalars():
                yield LogRecord(**{name: getattr(row, name) for name in RECORD_FIELDS})

    def count(self, user_id: str | None = None) -> int:
        query = select(func.count()).select_from(MessageRow)
        if user_id is not None:
            query = query.where(MessageRow.user_id == user_id)
        with Session(self.engine, future=True) as session:
            return session.execute(query).scalar_one()

    def forget(self, user_id: str) -> int:
        return self._delete(MessageRow.user_id == user_id)

    def purge(self, before: dt.datetime) -> int:
        return self._delete(MessageRow.ts < before)

    def mark_handled(self, event_id: str, by: str) -> bool:
        """Records that a trainer dealt with a request; False if there is no such request."""
        with Session(self.engine, future=True) as session, session.begin():
            found = session.execute(
                select(MessageRow.id).where(MessageRow.event_id == event_id, MessageRow.request.is_not(None))
            ).first()
            if found is None:
                return False
            insert = insert_ignoring_duplicates(self.engine, HandledRequestRow.__table__, ["event_id"])
            session.execute(insert, [{"event_id": event_id, "handled_by": by, "handled_at": utc_now()}])
            return True

    def _delete(self, condition) -> int:
        """Deletes the matching rows, and what trainers noted about them."""
        with Session(self.engine, future=True) as session, session.begin():
            gone = select(MessageRow.event_id).where(condition, MessageRow.request.is_not(None))
            session.execute(
                delete(HandledRequestRow)
                .where(HandledRequestRow.event_id.in_(gone))
                .execution_options(synchronize_session=False)
            )
            return session.execute(delete(MessageRow).where(condition)).rowcount

    def close(self) -> None:
        self.engine.dispose()
