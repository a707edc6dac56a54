"""The digest over a real log database filled with `coach demo-data`'s weeks (SQLite and
PostgreSQL), and the digest of one of those weeks in each language."""

import datetime as dt

import pytest

from bot.adoption_log import demo_data
from bot.adoption_log.store import LogStore
from bot.digest import render
from bot.digest.figures import Week
from bot.knowledge import base as knowledge
from tests.conftest import ROOT

NOW = dt.datetime(2026, 11, 20, 12, 0)  # the demo's last day: a Friday of 2026-W47
WEEK = Week.parse("2026-W46")  # the last whole demo week


@pytest.fixture(scope="module")
def kb():
    return knowledge.load()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_engine(request, tmp_path_factory, kb):
    """One filled database per module and backend: the demo weeks take a moment to write."""
    if request.param == "sqlite":
        urls = iter([f"sqlite:///{tmp_path_factory.mktemp('digest') / 'coach.db'}"])
    else:
        from tests.databases import fresh_postgres_database

        urls = fresh_postgres_database()
    for url in urls:
        store = LogStore(url)
        store.migrate()
        demo_data.replace_demo_data(store, demo_data.generate(kb, ROOT / "data" / "nlu", b"k", now=NOW))
        yield store.engine
        store.close()


@pytest.fixture(scope="module")
def sqlite_demo(tmp_path_factory, kb):
    """The demo weeks on SQLite only, for tests about the words and pictures, not the database."""
    store = LogStore(f"sqlite:///{tmp_path_factory.mktemp('digest') / 'coach.db'}")
    store.migrate()
    demo_data.replace_demo_data(store, demo_data.generate(kb, ROOT / "data" / "nlu", b"k", now=NOW))
    yield store.engine
    store.close()


@pytest.fixture(scope="module")
def digests(sqlite_demo, kb):
    """The company's digest of WEEK in it, es and en."""
    return {language: render.build(sqlite_demo, kb, WEEK, None, language) for language in ("it", "es", "en")}
