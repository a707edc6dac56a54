"""Erasure reaches every outbox: rows of an erased person that arrive later, from any replica,
are not stored if they were written before the erasure; their requests and dead letters go too."""

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.adoption_log.outbox import Outbox
from bot.adoption_log.store import ErasedUserRow, HandledRequestRow, LogStore
from tests.unit.adoption_log.test_store import record

ASKED = dt.datetime(2026, 11, 20, 10, 0)
BEFORE, AFTER = ASKED - dt.timedelta(minutes=1), ASKED + dt.timedelta(minutes=1)


def _store(url):
    store = LogStore(url)
    store.migrate()
    return store


def _handled_requests(store):
    with Session(store.engine) as session:
        return session.execute(select(func.count()).select_from(HandledRequestRow)).scalar_one()


def test_rows_in_another_replicas_outbox_are_not_stored_after_the_erasure(database_url, tmp_path):
    store = _store(database_url)
    replica_a, replica_b = Outbox(tmp_path / "a.db"), Outbox(tmp_path / "b.db")
    replica_a.put(record(user="p-gone", ts=BEFORE))
    replica_b.put(record(user="p-gone", ts=BEFORE))  # same person, a message another replica handled
    replica_b.put(record(user="p-gone", ts=ASKED))  # the reply that confirmed the erasure
    replica_b.put(record(user="p-stays", ts=BEFORE))
    replica_b.put(record(user="p-gone", ts=AFTER))  # wrote again after forgetting: kept
    replica_a.put_forget("p-gone", at=ASKED)
    replica_a.deliver(store)
    replica_b.deliver(store)  # later: the database was slow for this replica
    assert [r.ts for r in store.records() if r.user_id == "p-gone"] == [AFTER]
    assert store.count("p-stays") == 1
    replica_b.put(record(user="p-gone", ts=BEFORE))  # even much later
    replica_b.deliver(store)
    assert store.count("p-gone") == 1
    store.close()


def test_an_erasure_delivered_after_newer_rows_keeps_them(database_url, tmp_path):
    store = _store(database_url)
    replica_a, replica_b = Outbox(tmp_path / "a.db"), Outbox(tmp_path / "b.db")
    replica_b.put(record(user="p-gone", ts=BEFORE))
    replica_b.put(record(user="p-gone", ts=AFTER))
    replica_b.deliver(store)
    replica_a.put_forget("p-gone", at=ASKED)
    replica_a.deliver(store)
    assert [r.ts for r in store.records()] == [AFTER]
    store.close()


def test_the_handled_person_requests_and_dead_letters_of_that_person_go_too(database_url, tmp_path):
    store = _store(database_url)
    asked_for_a_person = record(user="p-gone", ts=BEFORE, direction="bot", request="person")
    other = record(user="p-other", ts=BEFORE, direction="bot", request="person")
    store.add([asked_for_a_person, other])
    assert store.mark_handled(asked_for_a_person.event_id, "tina") and store.mark_handled(other.event_id, "tina")
    store.bury("record", '{"user_id": "p-gone"}', "DataError: test", "p-gone")
    store.bury("record", '{"user_id": "p-other"}', "DataError: test", "p-other")
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.put_forget("p-gone", at=ASKED)
    outbox.deliver(store)
    assert store.count("p-gone") == 0 and _handled_requests(store) == 1
    assert [letter.user_id for letter in store.dead_letters()] == ["p-other"]
    store.close()


def test_a_second_erasure_moves_the_tombstone_forward_never_back(database_url):
    store = _store(database_url)
    store.forget("p-gone", at=ASKED)
    store.forget("p-gone", at=BEFORE)  # an older request delivered late
    store.add([record(user="p-gone", ts=ASKED - dt.timedelta(seconds=1))])
    assert store.count("p-gone") == 0
    store.forget("p-gone", at=AFTER)
    store.add([record(user="p-gone", ts=AFTER - dt.timedelta(seconds=1))])
    assert store.count("p-gone") == 0
    store.close()


def test_tombstones_and_dead_letters_end_with_the_retention_period(database_url):
    store = _store(database_url)
    store.forget("p-old", at=ASKED)
    store.forget("p-new", at=AFTER + dt.timedelta(days=10))
    store.bury("record", "{}", "DataError: test", None)
    store.purge(before=AFTER + dt.timedelta(days=1))
    with Session(store.engine) as session:
        assert session.execute(select(ErasedUserRow.user_id)).scalars().all() == ["p-new"]
    assert store.dead_letter_count() == 1  # buried today: younger than the cutoff
    store.purge(before=dt.datetime.now() + dt.timedelta(days=1))
    assert store.dead_letter_count() == 0
    store.close()


def test_an_erasure_queued_by_the_earlier_version_still_erases(database_url, tmp_path):
    import sqlite3

    store = _store(database_url)
    store.add([record(user="p-gone", ts=BEFORE)])
    outbox = Outbox(tmp_path / "outbox.db")
    with sqlite3.connect(outbox.path) as db:  # the user id alone: erase up to the delivery
        db.execute("INSERT INTO outbox (kind, payload) VALUES ('forget', 'p-gone')")
    outbox.deliver(store)
    assert store.count("p-gone") == 0
    store.close()


def test_on_postgresql_an_erasure_waits_for_a_delivery_in_flight(postgres_url):
    """Another replica's batch, committed while the erasure runs, must not slip past the tombstone."""
    import threading
    from dataclasses import asdict

    from sqlalchemy import insert, text

    from bot.adoption_log.store import ERASURE_LOCK, MessageRow

    store = _store(postgres_url)
    erased = threading.Event()
    with store.engine.connect() as delivery:
        in_flight = delivery.begin()  # what `add` holds between its insert and its commit
        delivery.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": ERASURE_LOCK})
        delivery.execute(insert(MessageRow.__table__), [asdict(record(user="p-gone", ts=BEFORE))])
        eraser = threading.Thread(target=lambda: (store.forget("p-gone", at=ASKED), erased.set()))
        eraser.start()
        assert not erased.wait(0.5), "the erasure must wait for the batch in flight"
        in_flight.commit()
    eraser.join(10)
    assert erased.is_set() and store.count("p-gone") == 0
    store.close()
