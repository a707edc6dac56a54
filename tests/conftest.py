"""Shared fixtures: the project's paths, the contract's intent list, the real knowledge base."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
# The intent contract: the project's copy of the team's spec (nothing here reads outside the repository).
SPEC = ROOT / "docs" / "objections.md"
SOURCES = ROOT / "knowledge" / "sources"


def spec_intents() -> list:
    """Intent names of the stable contract: the first column of the spec's tables."""
    return re.findall(r"^\| `([a-z_]+)`", SPEC.read_text(encoding="utf-8"), flags=re.M)


@pytest.fixture(scope="session")
def intents() -> list:
    return spec_intents()


@pytest.fixture(scope="session")
def objection_intents(intents) -> list:
    return [i for i in intents if i.startswith("objection_")]


@pytest.fixture(scope="session")
def kb():
    from bot.knowledge import base as knowledge

    return knowledge.load()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each log test runs on both: SQLite (the embedded default) and PostgreSQL (production)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'coach.db'}"
    else:
        from tests.databases import fresh_postgres_database

        yield from fresh_postgres_database()


@pytest.fixture
def migrated_log(database_url):
    """The adoption log on `database_url`, migrated to the current schema."""
    from bot.adoption_log.store import LogStore

    store = LogStore(database_url)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def postgres_url():
    from tests.databases import fresh_postgres_database

    yield from fresh_postgres_database()


def pytest_collection_modifyitems(items: list) -> None:
    """A test on PostgreSQL (a `postgres_url`, or the `postgresql` case of a database parameter)
    needs a running service: marked, so that `make test-fast` can leave it out."""
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()) or "postgresql" in item.name:
            item.add_marker(pytest.mark.services)


@pytest.fixture
def fake_telegram():
    """Telegram's Bot API as a local server on 127.0.0.1 (tests/fakes/telegram_api.py)."""
    from tests.fakes.telegram_api import FakeTelegram

    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_slack():
    """Slack's Web API as a local server on 127.0.0.1 (tests/fakes/slack_api.py)."""
    from tests.fakes.slack_api import FakeSlack

    fake = FakeSlack().start()
    yield fake
    fake.stop()
