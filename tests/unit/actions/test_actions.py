"""The coaching action with CollectingDispatcher and real rasa_sdk trackers."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionCoachReply


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
    assert messages[0]["text"].startswith(entry.answers["es"].short[0])
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
