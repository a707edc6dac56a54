"""What every store of the coach shares: one declarative base, engines with the
embedded database's settings, "insert, ignore duplicates" for both dialects, UTC time,
and the Alembic migrations that own the schema.

Each store declares its own tables on `Base` (the adoption log, dashboard users,
knowledge history, Telegram members); `bot/migrations/` creates them all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.dml import Insert

Base = declarative_base()
MIGRATIONS = Path(__file__).with_name("migrations")
# Alembic's `context` is module-global: two upgrades at once in one process (the log writer and the
# replay table both migrating a new database at start-up) trip over each other's state.
_MIGRATING = threading.Lock()
# Any fixed number: replicas starting together on one PostgreSQL database take turns migrating it.
_MIGRATION_LOCK_KEY = 0x636F616368


def make_engine(url: str) -> Engine:
    # pre_ping: after a database restart, pooled connections are dead; test before use.
    # hide_parameters: a database error's message would carry the statement's values (what
    # people wrote) into the server's log.
    options: dict[str, Any] = {"future": True, "pool_pre_ping": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        # A pool of open connections: SQLAlchemy 1.4 opens and closes a file database's
        # connection around every query otherwise (the README's benchmark has the cost).
        options["connect_args"] = {"timeout": 15, "check_same_thread": False}
        options["poolclass"] = QueuePool
        Path(url.split(":///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
    else:
        # Keep-alives: a connection whose server vanished without closing it is found dead in
        # about 25 s, instead of holding whoever waits on it (the log writer) for good.
        options["connect_args"] = {
            "connect_timeout": 5,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
        }
    engine = create_engine(url, **options)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", sqlite_pragmas)
    return engine


def sqlite_pragmas(connection: Any, record: Any) -> None:
    """WAL and synchronous=NORMAL: commits stay durable across a crash of the process,
    without an fsync each."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def insert_ignoring_duplicates(engine: Engine, table: Table, unique_columns: Sequence[str]) -> Insert:
    """An INSERT that skips rows whose `unique_columns` are already stored (SQLite or PostgreSQL)."""
    module = postgresql if engine.dialect.name == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=list(unique_columns))


def migrate(engine: Engine) -> None:
    """Brings the database to the current schema (all of the coach's tables)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _MIGRATING, _other_processes_wait(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextlib.contextmanager
def _other_processes_wait(engine: Engine) -> Iterator[None]:
    """On a SQLite file, a lock file beside it; PostgreSQL's advisory lock does that job there."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrating", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def to_utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).replace(tzinfo=None)
