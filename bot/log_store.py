"""The adoption log: one row per message and per reply, in SQLite or PostgreSQL.

The schema is owned by Alembic (bot/migrations); `migrate()` brings any database
to the current revision. Rows are written only through `add`, which ignores a row
whose `event_id` is already stored: the outbox may deliver a batch twice after an
outage, and the log must not count a message twice.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterable, Iterator, Optional

from sqlalchemy import Column, DateTime, Float, Integer, String, Text, UniqueConstraint, create_engine, delete, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base
from sqlalchemy.pool import QueuePool

Base = declarative_base()
MIGRATIONS = Path(__file__).with_name("migrations")


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


@dataclass(frozen=True)
class LogRecord:
    """A row as the rest of the coach sees it (the export's fields, plus the delivery id)."""

    event_id: str
    ts: dt.datetime
    user_id: str
    direction: str
    channel: Optional[str] = None
    team: Optional[str] = None
    language: Optional[str] = None
    text: Optional[str] = None
    intent: Optional[str] = None
    confidence: Optional[float] = None
    sentiment_label: Optional[str] = None
    sentiment_score: Optional[float] = None
    kb_entry: Optional[str] = None
    feedback: Optional[str] = None


RECORD_FIELDS = [f.name for f in fields(LogRecord)]


def make_engine(url: str) -> Engine:
    # pre_ping: after a database restart, pooled connections are dead; test before use.
    options = {"future": True, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        # A pool of open connections: SQLAlchemy 1.4 opens and closes a file database's
        # connection around every query otherwise (5% of the server's CPU under load).
        options["connect_args"] = {"timeout": 15, "check_same_thread": False}
        options["poolclass"] = QueuePool
        Path(url.split(":///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
    else:
        options["connect_args"] = {"connect_timeout": 5}
    engine = create_engine(url, **options)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", sqlite_pragmas)
    return engine


def sqlite_pragmas(connection, record) -> None:
    """WAL and synchronous=NORMAL: commits stay durable across a crash of the process,
    without an fsync each (the embedded default's commits were a tenth of the server's CPU)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _insert_ignoring_duplicates(dialect: str):
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(MessageRow.__table__).on_conflict_do_nothing(index_elements=["event_id"])


class LogStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    def migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def add(self, records: Iterable[LogRecord]) -> int:
        """Store the records not stored yet; returns how many were new."""
        rows = [asdict(r) for r in records]
        if not rows:
            return 0
        with Session(self.engine, future=True) as session, session.begin():
            result = session.execute(_insert_ignoring_duplicates(self.engine.dialect.name), rows)
            return max(result.rowcount, 0)

    def records(self, since: Optional[dt.datetime] = None) -> Iterator[LogRecord]:
        query = select(MessageRow).order_by(MessageRow.ts, MessageRow.id)
        if since is not None:
            query = query.where(MessageRow.ts >= since)
        with Session(self.engine, future=True) as session:
            for row in session.execute(query.execution_options(yield_per=500)).scalars():
                yield LogRecord(**{name: getattr(row, name) for name in RECORD_FIELDS})

    def count(self, user_id: Optional[str] = None) -> int:
        query = select(func.count()).select_from(MessageRow)
        if user_id is not None:
            query = query.where(MessageRow.user_id == user_id)
        with Session(self.engine, future=True) as session:
            return session.execute(query).scalar_one()

    def forget(self, user_id: str) -> int:
        return self._delete(MessageRow.user_id == user_id)

    def purge(self, before: dt.datetime) -> int:
        return self._delete(MessageRow.ts < before)

    def _delete(self, condition) -> int:
        with Session(self.engine, future=True) as session, session.begin():
            return session.execute(delete(MessageRow).where(condition)).rowcount

    def close(self) -> None:
        self.engine.dispose()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def to_utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).replace(tzinfo=None)
