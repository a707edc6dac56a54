"""What the connectors' tests share: the log database, migrated (SQLite, and PostgreSQL where marked)."""

import pytest


@pytest.fixture
def engine(migrated_log):
    return migrated_log.engine
