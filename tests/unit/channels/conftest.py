"""What the connectors' tests share: the log database, migrated (SQLite, and PostgreSQL where marked)."""

import pytest

from bot.adoption_log.store import LogStore


@pytest.fixture
def engine(database_url):
    store = LogStore(database_url)
    store.migrate()
    yield store.engine
    store.close()
