"""Rasa's tracker store with the coach's rules, on SQLite and PostgreSQL."""

import asyncio
import datetime as dt
import json

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from bot.adoption_log.records import reply_metadata
from bot.privacy.retention import EVENTS, delete_tracker_events, purge_before
from bot.rasa_plugins import tracker_store
from bot.rasa_plugins.tracker_store import PrivateSQLTrackerStore
from tests.conftest import ROOT
from tests.databases import TcpProxy, through_proxy

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


class CollectingBroker(EventBroker):
    def __init__(self):
        self.events = []

    def publish(self, event):
        self.events.append(event)


@pytest.fixture
def store_for(database_url, monkeypatch, tmp_path):
    def make(store_text=True, broker=None):
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("COACH_STORE_TEXT", "true" if store_text else "false")
        return PrivateSQLTrackerStore(domain=DOMAIN, event_broker=broker)

    return make


def _turn(sender, text, erase=False, timestamp=None, tracker=None):
    tracker = tracker or DialogueStateTracker.from_events(sender, [], slots=DOMAIN.slots)
    user = UserUttered(text, intent={"name": "objection_no_time", "confidence": 0.9}, timestamp=timestamp)
    bot = BotUttered("reply", metadata=reply_metadata("it", None, None, erase=erase), timestamp=timestamp)
    for event in (
        ActionExecuted("action_listen", timestamp=timestamp),
        user,
        SlotSet("language", "it", timestamp=timestamp),
        bot,
    ):
        tracker.update(event)
    return tracker


def _run(coroutine):
    return asyncio.run(coroutine)


def test_a_restarted_server_continues_the_conversation(store_for):
    _run(store_for().save(_turn("p-1", "non ho tempo")))
    restored = _run(store_for().retrieve("p-1"))  # a new store: as after a restart
    assert restored.get_slot("language") == "it"
    assert restored.latest_message.text == "non ho tempo"


def test_a_database_error_in_the_server_log_leaves_out_what_people_wrote(store_for):
    # Rasa logs a failed save with the database's message (bot/db.py: make_engine; tests/unit/test_db.py).
    assert store_for().engine.hide_parameters


def test_a_confirmed_forget_erases_the_conversation_and_still_streams_the_turn(store_for):
    broker = CollectingBroker()
    store = store_for(broker=broker)
    _run(store.save(_turn("p-1", "non ho tempo")))
    _run(store.save(_turn("p-2", "altro utente")))
    _run(store.save(_turn("p-1", "sì, cancella", erase=True, tracker=_run(store.retrieve("p-1")))))
    assert _run(store.retrieve("p-1")) is None
    assert _run(store.retrieve("p-2")) is not None
    assert any(e.get("metadata", {}).get("erase_user_data") for e in broker.events if e["event"] == "bot")


def _stored_events(store, sender):
    with store.session_scope() as session:
        rows = (
            session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender).order_by(store.SQLEvent.id).all()
        )
        return [json.loads(row.data)["event"] for row in rows]


@pytest.fixture
def statements():
    """Records the SQL sent through an engine: `sent = statements(engine)`."""
    from sqlalchemy import event

    seen, listening = [], []

    def record(conn, cursor, statement, *rest):
        seen.append(statement.lower())

    def on(engine):
        event.listen(engine, "before_cursor_execute", record)
        listening.append(engine)
        return seen

    yield on
    for engine in listening:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("store_text", [True, False])
def test_each_turn_is_stored_once_without_counting_what_is_stored(store_for, statements, store_text):
    broker = CollectingBroker()
    store = store_for(store_text=store_text, broker=broker)
    _run(store.save(_turn("p-1", "non ho tempo")))
    sent = statements(store.engine)
    for text in ("e poi?", "grazie"):
        tracker = _run(store.retrieve("p-1"))
        published = len(broker.events)
        sent.clear()
        _run(store.save(_turn("p-1", text, tracker=tracker)))
        assert not any("count(*)" in statement for statement in sent), sent  # Rasa's count over the session
        assert len(broker.events) - published == 4  # this turn's events, once
    assert _stored_events(store, "p-1") == ["action", "user", "slot", "bot"] * 3
    assert [e.text for e in _run(store.retrieve("p-1")).events if isinstance(e, UserUttered)][-1] == (
        "grazie" if store_text else None
    )


def test_a_tracker_the_store_did_not_load_has_its_unstored_events_saved_and_streamed(store_for):
    broker = CollectingBroker()
    store = store_for(broker=broker)
    tracker = None
    for text in ("non ho tempo", "e poi?", "grazie"):
        tracker = _turn("p-1", text, tracker=_run(store.retrieve("p-1")))
        _run(store.save(tracker))
    # While the database was unreachable Rasa began this conversation afresh (its in-memory
    # fallback); the turn arrives here once the database is back, shorter than the stored one.
    published = len(broker.events)
    _run(store.save(_turn("p-1", "sono tornato")))
    assert len(broker.events) - published == 4
    assert _stored_events(store, "p-1") == ["action", "user", "slot", "bot"] * 4
    _run(store.save(_turn("p-2", "altro utente")))
    assert _stored_events(store, "p-2") == ["action", "user", "slot", "bot"]


def test_every_turn_answered_while_the_database_is_away_is_streamed(postgres_url, monkeypatch):
    # As Rasa serves it (agent.py wraps the store): while the database is away each turn starts a
    # fresh tracker, saved in memory instead, where the turn before is kept. Rasa finds the new
    # events there by counting, which holds only because it saves each fresh tracker before its turn.
    target = make_url(postgres_url)
    relay = TcpProxy(target.host, target.port or 5432).start()
    monkeypatch.setenv("DATABASE_URL", through_proxy(postgres_url, relay))
    broker = CollectingBroker()
    store = FailSafeTrackerStore(PrivateSQLTrackerStore(domain=DOMAIN, event_broker=broker))
    try:
        _run(store.save(_turn("p-1", "prima del guasto")))
        relay.stop()
        for text in ("non ho tempo", "e poi?", "grazie"):
            tracker = _run(store.get_or_create_tracker("p-1"))
            _run(store.save(_turn("p-1", text, tracker=tracker)))
        relay.start()
        _run(store.save(_turn("p-1", "di nuovo qui", tracker=_run(store.get_or_create_tracker("p-1")))))
    finally:
        relay.stop()
    said = [event["text"] for event in broker.events if event["event"] == "user"]
    assert set(said) == {"prima del guasto", "non ho tempo", "e poi?", "grazie", "di nuovo qui"}


def test_with_text_storage_off_user_text_is_not_stored(store_for):
    store = store_for(store_text=False)
    _run(store.save(_turn("p-1", "il mio cliente Rossi non risponde")))
    with store.session_scope() as session:
        stored = [json.loads(e.data) for e in session.query(store.SQLEvent).all()]
    assert "Rossi" not in json.dumps(stored)
    user = next(e for e in stored if e["event"] == "user")
    assert user["parse_data"]["intent"]["name"] == "objection_no_time"


def test_events_older_than_the_retention_period_are_purged(store_for, database_url):
    store = store_for()
    old = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc).timestamp()
    _run(store.save(_turn("p-old", "vecchio", timestamp=old)))
    _run(store.save(_turn("p-new", "nuovo")))
    assert purge_before(database_url, dt.datetime(2026, 6, 1)) == 4
    assert _run(store.retrieve("p-old")) is None
    assert _run(store.retrieve("p-new")) is not None


def test_purging_before_rasa_ever_ran_is_harmless(tmp_path):
    assert purge_before(f"sqlite:///{tmp_path / 'none.db'}", dt.datetime(2026, 6, 1)) == 0


# A conversation this server saved last is answered from memory, but only while the database holds
# exactly what it saved: what a fresh store (a restarted server) loads is what the kept one gives.


def _as_loaded(store_for, sender):
    tracker = _run(store_for().retrieve(sender))
    return None if tracker is None else [event.as_dict() for event in tracker.events]


def _as_given(store, sender):
    tracker = _run(store.retrieve(sender))
    return None if tracker is None else [event.as_dict() for event in tracker.events]


def _loads_events(sent):
    return any("events.data" in statement for statement in sent)


@pytest.mark.parametrize("store_text", [True, False])
def test_a_conversation_saved_here_is_given_back_without_loading_it_and_as_the_database_holds_it(
    store_for, statements, store_text
):
    store = store_for(store_text=store_text)
    served = FailSafeTrackerStore(store)  # as Rasa's agent wraps it
    tracker = _run(served.get_or_create_tracker("p-1", append_action_listen=False))
    sent = statements(store.engine)
    for text in ("non ho tempo", "e poi?", "grazie"):
        _run(served.save(_turn("p-1", text, tracker=tracker)))
        sent.clear()
        tracker = _run(served.retrieve("p-1"))
        # Loaded once: the first turn's tracker was Rasa's own new one, of a conversation not yet read.
        assert _loads_events(sent) == (text == "non ho tempo"), sent
        assert [event.as_dict() for event in tracker.events] == _as_loaded(store_for, "p-1")
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)][-1] == ("grazie" if store_text else None)


def test_a_conversation_erased_by_another_process_is_not_given_back_from_memory(store_for, database_url):
    store = store_for()
    _run(store.save(_turn("p-1", "il mio cliente Rossi", tracker=_run(store.get_or_create_tracker("p-1")))))
    _run(store.save(_turn("p-1", "non ho tempo", tracker=_run(store.retrieve("p-1")))))
    delete_tracker_events(database_url, EVENTS.c.sender_id == "p-1")  # `coach forget`, the action server
    assert _run(store.retrieve("p-1")) is None


def test_an_erasure_between_loading_and_saving_a_turn_is_not_undone_by_memory(store_for, database_url):
    store = store_for()
    _run(store.save(_turn("p-1", "il mio cliente Rossi", tracker=_run(store.get_or_create_tracker("p-1")))))
    tracker = _run(store.retrieve("p-1"))
    delete_tracker_events(database_url, EVENTS.c.sender_id == "p-1")
    _run(store.save(_turn("p-1", "non ho tempo", tracker=tracker)))  # Rasa's turn goes on after the erasure
    given = _as_given(store, "p-1")
    assert given == _as_loaded(store_for, "p-1")
    assert "Rossi" not in json.dumps(given)


def test_a_turn_another_replica_saved_is_given_back(store_for):
    here, there = store_for(), store_for()
    _run(here.save(_turn("p-1", "non ho tempo", tracker=_run(here.get_or_create_tracker("p-1")))))
    _run(here.save(_turn("p-1", "e poi?", tracker=_run(here.retrieve("p-1")))))
    _run(there.save(_turn("p-1", "dall'altra replica", tracker=_run(there.retrieve("p-1")))))
    given = _as_given(here, "p-1")
    assert given == _as_loaded(store_for, "p-1")
    assert [e["text"] for e in given if e["event"] == "user"][-1] == "dall'altra replica"


def test_a_change_a_reader_did_not_save_is_not_given_to_the_next(store_for):
    store = store_for()
    _run(store.save(_turn("p-1", "non ho tempo", tracker=_run(store.get_or_create_tracker("p-1")))))
    _run(store.save(_turn("p-1", "e poi?", tracker=_run(store.retrieve("p-1")))))
    _turn("p-1", "mai salvato", tracker=_run(store.retrieve("p-1")))  # a turn that failed before its save
    assert _as_given(store, "p-1") == _as_loaded(store_for, "p-1")


def test_after_a_new_session_only_that_session_is_given_back(store_for):
    store = store_for()
    tracker = _turn("p-1", "ieri", tracker=_run(store.get_or_create_tracker("p-1")))
    _run(store.save(tracker))
    tracker = _run(store.retrieve("p-1"))
    for event in (ActionExecuted("action_session_start"), SessionStarted(), SlotSet("language", "it")):
        tracker.update(event)
    _run(store.save(_turn("p-1", "oggi", tracker=tracker)))
    given = _as_given(store, "p-1")
    assert given == _as_loaded(store_for, "p-1")
    assert [e["text"] for e in given if e["event"] == "user"] == ["oggi"]


def test_memory_holds_only_the_latest_conversations_within_its_events(store_for, statements, monkeypatch):
    monkeypatch.setattr(tracker_store, "KEPT_EVENTS", 18)  # two conversations of 9 events (a listen, two turns)
    store = store_for()
    for sender in ("p-1", "p-2", "p-3"):
        for text in ("non ho tempo", "e poi?"):
            _run(store.save(_turn(sender, text, tracker=_run(store.get_or_create_tracker(sender)))))
    sent = statements(store.engine)
    loaded = {}
    for sender in ("p-1", "p-2", "p-3"):
        sent.clear()
        _run(store.retrieve(sender))
        loaded[sender] = _loads_events(sent)
    assert loaded == {"p-1": True, "p-2": False, "p-3": False}


def test_a_conversation_is_let_go_of_once_its_time_in_memory_is_over(store_for, statements, monkeypatch):
    store = store_for()
    for text in ("il mio cliente Rossi", "non ho tempo"):
        _run(store.save(_turn("p-1", text, tracker=_run(store.get_or_create_tracker("p-1")))))
    monkeypatch.setattr(tracker_store, "KEPT_SECONDS", 0.0)
    _run(store.save(_turn("p-2", "un altro", tracker=_run(store.get_or_create_tracker("p-2")))))
    held = [e.text for kept in store.kept.trackers() for e in kept.events if isinstance(e, UserUttered)]
    assert "il mio cliente Rossi" not in held  # gone at anyone's next message, not only at theirs
    sent = statements(store.engine)
    assert _as_given(store, "p-1") == _as_loaded(store_for, "p-1")
    assert _loads_events(sent)


def test_a_conversation_longer_than_memory_allows_is_loaded_each_time(store_for, statements, monkeypatch):
    monkeypatch.setattr(tracker_store, "KEPT_EVENTS", 7)
    store = store_for()
    for text in ("non ho tempo", "e poi?", "grazie"):
        _run(store.save(_turn("p-1", text, tracker=_run(store.get_or_create_tracker("p-1")))))
    assert store.kept.trackers() == []
    sent = statements(store.engine)
    assert _as_given(store, "p-1") == _as_loaded(store_for, "p-1")
    assert _loads_events(sent)
