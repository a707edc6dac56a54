"""The action tells the log which short answer it gave (and, on a rating, which one is rated), and
spreads first answers over people: the same person always starts at the same variant."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionCoachReply
from bot.knowledge.replies import variant_id


def _run(sender: str, intent: str, **slots):
    latest = {"text": "...", "intent": {"name": intent, "confidence": 0.9}, "language": "it", "language_source": "text"}
    tracker = Tracker(sender, slots, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionCoachReply().run(dispatcher, tracker, {}))
    return dispatcher.messages[0], {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def _short(message: dict) -> str:
    return message["text"].split("\n\n")[0]


def test_the_answer_and_its_rating_tell_the_log_the_variant():
    answer, slots = _run("person-a", "objection_no_time")
    shorts = ActionCoachReply.knowledge.get().entry("objection_no_time").answers["it"].short
    assert _short(answer) in shorts and answer["answer_variant"] == variant_id(_short(answer))
    rating, _ = _run("person-a", "feedback_helpful", **slots)
    assert (rating["feedback"], rating["kb_entry"]) == ("helpful", "objection_no_time")
    assert rating["answer_variant"] == answer["answer_variant"]
    greeting, _ = _run("person-a", "greet")
    assert "answer_variant" not in greeting


def test_first_answers_differ_between_people_and_stay_the_same_for_one():
    firsts = {_short(_run(f"person-{n}", "objection_no_time")[0]) for n in range(12)}
    assert len(firsts) == 3, "twelve people see all three Italian variants first"
    assert _run("person-7", "objection_no_time")[0]["text"] == _run("person-7", "objection_no_time")[0]["text"]
