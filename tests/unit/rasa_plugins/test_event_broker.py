"""The event broker Rasa calls, over a real log database: N messages in, N rows out."""

import asyncio

from bot.adoption_log.records import reply_metadata
from bot.adoption_log.store import LogStore
from bot.rasa_plugins.event_broker import AdoptionLogBroker
from bot.settings import load
from tests.unit.adoption_log.test_records import objection, published, reply


def _broker(database_url, tmp_path, **environ):
    settings = load(
        {
            "DATABASE_URL": database_url,
            "COACH_VAR_DIR": str(tmp_path),
            "COACH_SECRET_KEY": "k",
            **environ,
        }
    )
    return AdoptionLogBroker(settings, interval=0.05)


def test_every_message_and_reply_becomes_one_row(database_url, tmp_path):
    broker = _broker(database_url, tmp_path)
    for n in range(25):
        sender = f"p-{n:024x}"
        broker.publish(published(objection(), sender=sender))
        broker.publish(published(reply(**reply_metadata("it", "objection_no_time", None, False)), sender=sender))
    asyncio.run(broker.close())
    store = LogStore(database_url)
    rows = list(store.records())
    assert len(rows) == 50
    assert sum(r.direction == "user" for r in rows) == 25
    assert all(r.kb_entry == "objection_no_time" for r in rows if r.direction == "bot")
    store.close()


def test_a_confirmed_forget_erases_that_users_rows_after_logging_the_turn(database_url, tmp_path):
    broker = _broker(database_url, tmp_path)
    keep, forget = f"p-{1:024x}", f"p-{2:024x}"
    for sender in (keep, forget):
        broker.publish(published(objection(), sender=sender))
    broker.publish(published(reply(**reply_metadata("it", None, None, erase=True)), sender=forget))
    asyncio.run(broker.close())
    store = LogStore(database_url)
    assert store.count(forget) == 0 and store.count(keep) == 1
    store.close()


def test_a_broken_event_is_reported_not_raised(database_url, tmp_path, caplog):
    broker = _broker(database_url, tmp_path)
    broker.publish({"event": "user", "sender_id": "x"})  # no timestamp: cannot become a row
    asyncio.run(broker.close())
    assert "Could not queue a user event" in caplog.text


def test_the_running_server_applies_the_retention_period_by_itself(database_url, tmp_path):
    import datetime as dt
    import time

    from bot.db import utc_now
    from tests.unit.adoption_log.test_store import record

    store = LogStore(database_url)
    store.migrate()
    store.add([record(ts=utc_now() - dt.timedelta(days=181)), record(ts=utc_now() - dt.timedelta(days=1))])
    broker = _broker(database_url, tmp_path)  # default retention: 180 days
    deadline = time.monotonic() + 30
    while store.count() != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    asyncio.run(broker.close())
    assert store.count() == 1
    store.close()
