"""What a reply needs besides the intent: the second objection and the how-to, from a parse result."""

import pytest

from bot.knowledge.facts import message_facts, second_objection
from bot.knowledge.howto import LiveHowToMatcher


def _parsed(*ranking, text="..."):
    return {
        "text": text,
        "intent": dict(zip(("name", "confidence"), ranking[0], strict=True)),
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
    }


@pytest.mark.parametrize(
    "ranking,expected",
    [
        ((("objection_no_time", 0.5), ("objection_manager_not_using", 0.3)), "objection_manager_not_using"),
        ((("objection_no_time", 0.8), ("objection_manager_not_using", 0.1)), None),  # too weak
        ((("objection_no_time", 0.6), ("objection_manager_not_using", 0.16)), None),  # too far behind
        ((("greet", 0.5), ("objection_no_time", 0.4)), None),  # not an objection first
        ((("objection_no_time", 0.5), ("out_of_scope", 0.4)), None),  # not an objection second
        ((("objection_no_time", 0.9),), None),
    ],
)
def test_the_second_objection_must_be_strong_and_an_objection(ranking, expected):
    assert second_objection(_parsed(*ranking)) == expected


def test_a_how_to_question_gets_its_entry_and_other_intents_are_not_embedded(kb):
    calls = []

    class Recording(LiveHowToMatcher):
        def best(self, kb, question):
            calls.append(question)
            return super().best(kb, question)

    howtos = Recording()
    facts = message_facts(kb, _parsed(("ask_howto", 0.9), text="come registro una chiamata nel crm?"), howtos, "x")
    assert facts.howto_id == "log_a_call" and facts.contact == "x"
    assert message_facts(kb, _parsed(("objection_no_time", 0.9)), howtos, None).howto_id is None
    assert calls == ["come registro una chiamata nel crm?"]
