"""The adoption log: one row per message and per reply, in SQLite or PostgreSQL.

The schema is owned by Alembic (bot/migrations); `migrate()` brings any database
to the current revision. Rows are written only through `add`, which ignores a row
whose `event_id` is already stored: the outbox may deliver a batch twice after an
outage, and the log must not count a message twice.

Erasure leaves a tombstone (`erased_users`): each replica has its own outbox, so rows
of an erased person may arrive after the erasure; `add` drops those created before it.
Rows the database refuses for their content are kept aside as dead letters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.db import Base, insert_ignoring_duplicates, make_engine, migrate, utc_now

# PostgreSQL advisory lock shared by every process of the coach: an erasure waits for the
# deliveries in progress and the next deliveries wait for it, so none slips past its tombstone.
ERASURE_LOCK = 0x636F616368  # "coach"


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
    answer_variant = Column(Integer)  # the short answer given or rated (bot/knowledge/replies.variant_id)


class HandledRequestRow(Base):
    """A trainer dealt with a request to talk to a person (the log row's `event_id`)."""

    __tablename__ = "handled_requests"

    event_id = Column(String(36), primary_key=True)
    handled_by = Column(String(64), nullable=False)
    handled_at = Column(DateTime, nullable=False)


class DeadLetterRow(Base):
    """An outbox item the database refused for its content; `payload` is ASCII JSON (text already redacted)."""

    __tablename__ = "dead_letters"
    __table_args__ = (UniqueConstraint("digest", name="uq_dead_letters_digest"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    created_at = Column(DateTime, nullable=False, index=True)
    reason = Column(String(255), nullable=False)
    kind = Column(String(16), nullable=False)
    user_id = Column(String(64), index=True)
    payload = Column(Text, nullable=False)
    digest = Column(String(64), nullable=False)  # the same item buried twice (a crash in between) is kept once


class ErasedUserRow(Base):
    """A person who asked to be forgotten, and when (kept for the retention period)."""

    __tablename__ = "erased_users"

    user_id = Column(String(64), primary_key=True)
    erased_at = Column(DateTime, nullable=False)


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
    answer_variant: int | None = None


@dataclass(frozen=True)
class DeadLetter:
    id: int
    created_at: dt.datetime
    reason: str
    kind: str
    user_id: str | None
    payload: str


RECORD_FIELDS = [f.name for f in fields(LogRecord)]


def values(record: LogRecord) -> dict[str, Any]:
    """The record's fields by name; not dataclasses.asdict, whose deep copy of every value
    took most of the writer's time."""
    return {name: getattr(record, name) for name in RECORD_FIELDS}


def text_column_sizes() -> dict[str, int | None]:
    """The size of each text field's column (None: unbounded)."""
    columns = MessageRow.__table__.c
    return {name: columns[name].type.length for name in RECORD_FIELDS if isinstance(columns[name].type, String)}


class LogStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    def migrate(self) -> None:
        migrate(self.engine)

    def add(self, records: Iterable[LogRecord]) -> int:
        """Store the records not stored yet, except those an erasure covers; returns how many were new."""
        rows = [values(record) for record in records]
        if not rows:
            return 0
        with Session(self.engine, future=True) as session, session.begin():
            self._erasure_lock(session, exclusive=False)
            result = session.execute(insert_ignoring_duplicates(self.engine, MessageRow.__table__, ["event_id"]), rows)
            # Inserted first, then checked: on SQLite the insert takes the write lock, so the
            # check below sees every erasure committed before this batch.
            erased_at = dict(
                session.execute(
                    select(ErasedUserRow.user_id, ErasedUserRow.erased_at).where(
                        ErasedUserRow.user_id.in_({row["user_id"] for row in rows})
                    )
                ).all()
            )
            if not erased_at:
                return max(result.rowcount, 0)
            covered = [row["event_id"] for row in rows if row["ts"] <= erased_at.get(row["user_id"], dt.datetime.min)]
            erased = session.execute(
                delete(MessageRow).where(MessageRow.event_id.in_(covered)).execution_options(synchronize_session=False)
            )
            return max(result.rowcount - erased.rowcount, 0)

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

    def forget(self, user_id: str, at: dt.datetime | None = None) -> int:
        """Erases what `user_id` said up to `at` (default: now), their requests and dead letters, and
        leaves a tombstone so that their earlier rows still in some outbox are not stored later."""
        at = at or utc_now()
        with Session(self.engine, future=True) as session, session.begin():
            self._erasure_lock(session, exclusive=True)
            on_postgresql = self.engine.dialect.name == "postgresql"
            module, later = (postgresql, func.greatest) if on_postgresql else (sqlite, func.max)
            tombstone = module.insert(ErasedUserRow.__table__).values(user_id=user_id, erased_at=at)
            session.execute(
                tombstone.on_conflict_do_update(
                    index_elements=["user_id"], set_={"erased_at": later(ErasedUserRow.erased_at, at)}
                )
            )
            session.execute(delete(DeadLetterRow).where(DeadLetterRow.user_id == user_id))
            return _delete_messages(session, (MessageRow.user_id == user_id) & (MessageRow.ts <= at))

    def purge(self, before: dt.datetime) -> int:
        """Deletes the rows older than `before`, and the tombstones and dead letters as old; returns the rows."""
        with Session(self.engine, future=True) as session, session.begin():
            session.execute(delete(ErasedUserRow).where(ErasedUserRow.erased_at < before))
            session.execute(delete(DeadLetterRow).where(DeadLetterRow.created_at < before))
            return _delete_messages(session, MessageRow.ts < before)

    def mark_handled(self, event_id: str, by: str) -> bool:
        """Records that a trainer dealt with a request; False if there is no such request."""
        with Session(self.engine, future=True) as session, session.begin():
            self._erasure_lock(session, exclusive=False)  # not beside a request being erased
            found = session.execute(
                select(MessageRow.id).where(MessageRow.event_id == event_id, MessageRow.request.is_not(None))
            ).first()
            if found is None:
                return False
            insert = insert_ignoring_duplicates(self.engine, HandledRequestRow.__table__, ["event_id"])
            session.execute(insert, [{"event_id": event_id, "handled_by": by, "handled_at": utc_now()}])
            return True

    def bury(self, kind: str, payload: str, reason: str, user_id: str | None) -> None:
        """Keeps aside an item the database refused (`payload`: ASCII JSON, so any database takes it)."""
        digest = hashlib.sha256(f"{kind}\n{payload}".encode()).hexdigest()
        row = {
            "created_at": utc_now(),
            "reason": reason[:255],
            "kind": kind[:16],
            "user_id": user_id,
            "payload": payload,
            "digest": digest,
        }
        with Session(self.engine, future=True) as session, session.begin():
            session.execute(insert_ignoring_duplicates(self.engine, DeadLetterRow.__table__, ["digest"]), [row])

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The most recent dead letters first."""
        query = select(DeadLetterRow).order_by(DeadLetterRow.created_at.desc(), DeadLetterRow.id.desc()).limit(limit)
        with Session(self.engine, future=True) as session:
            return [
                DeadLetter(row.id, row.created_at, row.reason, row.kind, row.user_id, row.payload)
                for row in session.execute(query).scalars()
            ]

    def discard_dead_letter(self, letter_id: int) -> bool:
        """An admin dealt with it (or decided it does not matter); False if there is no such letter."""
        with Session(self.engine, future=True) as session, session.begin():
            return session.execute(delete(DeadLetterRow).where(DeadLetterRow.id == letter_id)).rowcount > 0

    def dead_letter_count(self) -> int:
        with Session(self.engine, future=True) as session:
            return session.execute(select(func.count()).select_from(DeadLetterRow)).scalar_one()

    def _erasure_lock(self, session: Session, exclusive: bool) -> None:
        # SQLite needs none: it has one writer at a time, and `add` writes before it checks.
        if self.engine.dialect.name == "postgresql":
            function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
            session.execute(text(f"SELECT {function}(:key)"), {"key": ERASURE_LOCK})

    def close(self) -> None:
        self.engine.dispose()


def _delete_messages(session: Session, condition) -> int:
    """Deletes the matching rows, and what trainers noted about them."""
    gone = select(MessageRow.event_id).where(condition, MessageRow.request.is_not(None))
    session.execute(
        delete(HandledRequestRow)
        .where(HandledRequestRow.event_id.in_(gone))
        .execution_options(synchronize_session=False)
    )
    return session.execute(delete(MessageRow).where(condition)).rowcount
