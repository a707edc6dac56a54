"""The coaching action with CollectingDispatcher and real rasa_sdk trackers; a confirmed /forget
erases in each test's own databases and files."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import insert, select

from actions.actions import ActionCoachReply
from bot import settings
from bot.adoption_log.store import LogRecord, LogStore
from bot.channels.access import Access
from bot.db import make_engine, utc_now
from bot.learning import examples as learning
from bot.privacy.pseudonyms import pseudonym
from bot.privacy.retention import EVENTS


def _tracker(intent: str, parsed_language: str, decided_by: str = "text", **slots) -> Tracker:
    latest = {
        "text": "...",
        "intent": {"name": intent, "confidence": 0.9},
        "language": parsed_language,
        "language_source": decided_by,
        "sentiment": {"label": "neutral", "score": 0.0},
    }
    return Tracker("user-1", slots, latest, [], False, None, {}, "action_listen")


def _run(tracker: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionCoachReply().run(dispatcher, tracker, {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_an_objection_is_answered_from_the_knowledge_base_with_buttons():
    messages, slots = _run(_tracker("objection_no_time", "es"))
    assert len(messages) == 1
    entry = ActionCoachReply.knowledge.get().entry("objection_no_time")
    # Each person starts the rotation at their own variant (bot/knowledge/replies.py).
    assert messages[0]["text"].split("\n\n")[0] in entry.answers["es"].short
    assert messages[0]["text"].endswith("\n\nFuente: Merita Business Podcast, «Perché molti progetti CRM falliscono?»")
    assert [b["payload"] for b in messages[0]["buttons"]][:2] == ["/ask_more", "/ask_tip"]
    assert slots["language"] == "es" and slots["kb_entry"] == "objection_no_time"


def test_a_button_click_keeps_the_conversation_language_and_topic():
    messages, slots = _run(_tracker("ask_tip", "en", decided_by="guess", language="it", kb_entry="objection_no_time"))
    tip = ActionCoachReply.knowledge.get().entry("objection_no_time").answers["it"].tip
    assert tip in messages[0]["text"] and slots["language"] == "it"


def test_a_clear_message_in_another_language_switches_language():
    _, slots = _run(_tracker("greet", "en", decided_by="text", language="it"))
    assert slots["language"] == "en"


def test_the_same_objection_twice_rotates_the_phrasing():
    first, slots = _run(_tracker("objection_feel_stupid", "it"))
    second, _ = _run(
        _tracker(
            "objection_feel_stupid",
            "it",
            last_reply_key=slots["last_reply_key"],
            last_reply_variant=slots["last_reply_variant"],
        )
    )
    assert first[0]["text"] != second[0]["text"]


@pytest.mark.parametrize("intent", ["nlu_fallback", "out_of_scope"])
def test_low_confidence_and_out_of_scope_never_get_an_objection_answer(intent):
    messages, slots = _run(_tracker(intent, "en", kb_entry=None))
    assert ".txt)" not in messages[0]["text"] and slots["kb_entry"] is None


def test_the_reply_tells_the_log_its_language_and_knowledge_entry():
    messages, _ = _run(_tracker("objection_no_time", "it"))
    assert (messages[0]["language"], messages[0]["kb_entry"]) == ("it", "objection_no_time")
    assert "erase_user_data" not in messages[0]


def test_forget_is_asked_then_confirmed_and_the_reply_carries_the_erasure_mark():
    asked, slots = _run(_tracker("request_forget", "en"))
    assert slots["awaiting_confirmation"] == "forget" and "erase_user_data" not in asked[0]
    confirmed, slots = _run(_tracker("affirm", "en", awaiting_confirmation="forget"))
    assert confirmed[0]["erase_user_data"] is True
    assert slots["awaiting_confirmation"] is None and slots["kb_entry"] is None


KEY = "a-test-key-for-the-pseudonyms-of-these-tests"
ACCOUNT = "4242"
CODE = "codice-di-prova"


@pytest.fixture(autouse=True)
def erasure_settings(tmp_path, monkeypatch):
    """A confirmed /forget erases for real: here, in this test's own databases and files."""
    current = settings.load(
        {"COACH_VAR_DIR": str(tmp_path / "var"), "COACH_DATA_DIR": str(tmp_path / "data"), "COACH_SECRET_KEY": KEY}
    )
    (current.data_dir / "nlu").mkdir(parents=True)
    store = LogStore(current.log_db_url)
    store.migrate()  # as the product does when it starts
    store.close()
    monkeypatch.setattr(ActionCoachReply, "erasure_settings", current)
    return current


def _user_row(user_id: str, text: str, request: str | None = None) -> LogRecord:
    return LogRecord(str(uuid.uuid4()), utc_now(), user_id, "user", "telegram", text=text, request=request)


def _tracker_events(url: str, *senders: str) -> None:
    engine = make_engine(url)
    EVENTS.create(engine)
    with engine.begin() as connection:
        for sender in senders:
            connection.execute(insert(EVENTS), {"sender_id": sender, "type_name": "user", "timestamp": 1.0})
    engine.dispose()


def _remaining_tracker_senders(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as connection:
        senders = list(connection.execute(select(EVENTS.c.sender_id)).scalars())
    engine.dispose()
    return senders


def _confirm_forget(sender: str) -> list[dict]:
    latest = {"intent": {"name": "affirm", "confidence": 0.9}, "language": "it", "language_source": "text"}
    events = [{"event": "user", "input_channel": "telegram"}]
    tracker = Tracker(sender, {"awaiting_confirmation": "forget"}, latest, events, False, None, {}, "action_listen")
    messages, slots = _run(tracker)
    assert slots["awaiting_confirmation"] is None
    return messages


def test_a_confirmed_forget_erases_everything_of_that_person_before_saying_so(erasure_settings):
    current = erasure_settings
    person = pseudonym(KEY.encode(), "telegram", ACCOUNT)
    other = pseudonym(KEY.encode(), "telegram", "777")
    store = LogStore(current.log_db_url)
    store.add(
        [
            _user_row(person, "il CRM mi ruba la mattina"),
            _user_row(person, "voglio una persona", request="person"),
            _user_row(other, "non ho mai tempo per il CRM"),
        ]
    )
    access = Access("telegram", KEY.encode(), store.engine, frozenset(), CODE)
    assert access.try_join(ACCOUNT, CODE) and access.try_join("777", CODE)
    learning.add_examples(
        current.data_dir,
        "it",
        "objection_no_time",
        ["il CRM  mi ruba la mattina", "non ho mai tempo per il CRM"],
        ["objection_no_time"],
    )
    _tracker_events(current.tracker_db_url, person, other)

    messages = _confirm_forget(person)

    assert messages[0]["text"] == ActionCoachReply.knowledge.get().conversation["it"].texts["forgotten"][0]
    assert messages[0]["erase_user_data"] is True
    assert store.count(person) == 0 and store.count(other) == 1
    assert not access.is_allowed(ACCOUNT) and access.is_allowed("777")
    learned = learning.intent_examples(learning.learned_file(current.data_dir, "it"))
    assert [example.text for example in learned] == ["non ho mai tempo per il CRM"]
    assert _remaining_tracker_senders(current.tracker_db_url) == [other]
    store.close()


def test_when_erasing_fails_the_person_is_told_so_and_nothing_is_marked_erased(erasure_settings, monkeypatch):
    # A log database that refuses connections: the first step of the erasure fails.
    unreachable = dataclasses.replace(erasure_settings, log_db_url="postgresql://coach@127.0.0.1:9/none")
    monkeypatch.setattr(ActionCoachReply, "erasure_settings", unreachable)

    messages = _confirm_forget(pseudonym(KEY.encode(), "telegram", ACCOUNT))

    texts = ActionCoachReply.knowledge.get().conversation["it"].texts
    assert messages[0]["text"] == texts["forget_failed"][0].replace("{help_contact}", texts["help_contact_default"][0])
    assert "erase_user_data" not in messages[0]
