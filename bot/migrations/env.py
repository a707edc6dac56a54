"""Alembic environment for the coach's database (`coach db upgrade`, or `alembic` with alembic.ini)."""

from alembic import context

from bot import settings
from bot.adoption_log.store import MessageRow  # noqa: F401
from bot.channels.access import MemberRow  # noqa: F401 (tables belong to the metadata)
from bot.dashboard.users import UserRow  # noqa: F401
from bot.db import Base, make_engine
from bot.knowledge.editor import HistoryRow  # noqa: F401

config = context.config


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with make_engine(config.get_main_option("sqlalchemy.url") or settings.load().log_db_url).connect() as connection:
        _run(connection)
