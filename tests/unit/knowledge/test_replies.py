"""Replies composed from the real knowledge base: sourced answers, follow-ups, honest fallback."""
from __future__ import annotations

import pytest

from bot.settings import LANGUAGES
from bot.knowledge.replies import ConversationState, PrivacyPolicy, compose


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_objection_gets_a_sourced_short_answer_with_the_four_buttons(kb, language):
    reply = compose(kb, "objection_no_time", language, ConversationState())
    entry = kb.entry("objection_no_time")
    assert reply.text.startswith(entry.answers[language].short[0])
    assert reply.source and reply.source in reply.text
    assert [b.payload for b in reply.buttons] == ["/ask_more", "/ask_tip", "/feedback_helpful", "/feedback_not_helpful"]
    assert [b.title for b in reply.buttons][0] == kb.conversation[language].buttons["more"]
    assert reply.kb_entry == reply.state.kb_entry == "objection_no_time"


def test_a_repeated_objection_gets_another_phrasing_and_then_cycles(kb):
    first = compose(kb, "objection_feel_stupid", "es", ConversationState())
    second = compose(kb, "objection_feel_stupid", "es", first.state)
    shorts = kb.entry("objection_feel_stupid").answers["es"].short
    assert first.text != second.text
    state = second.state
    for _ in range(len(shorts) - 1):
        state = compose(kb, "objection_feel_stupid", "es", state).state
    assert compose(kb, "objection_feel_stupid", "es", state).text == second.text


def test_tell_me_more_and_a_tip_follow_the_last_answer(kb):
    answered = compose(kb, "objection_clients_are_mine", "it", ConversationState())
    more = compose(kb, "ask_more", "it", answered.state)
    tip = compose(kb, "ask_tip", "it", more.state)
    answer = kb.entry("objection_clients_are_mine").answers["it"]
    assert answer.more in more.text and more.kb_entry == "objection_clients_are_mine"
    assert more.source.count(".txt)") > 1  # "more" cites every document it draws on
    assert answer.tip in tip.text
    assert [b.payload for b in more.buttons][0] == "/ask_tip"
    assert [b.payload for b in tip.buttons][0] == "/ask_more"


def test_tell_me_more_without_a_topic_lists_the_topics(kb):
    reply = compose(kb, "ask_more", "en", ConversationState())
    assert reply.text.startswith(kb.conversation["en"].texts["no_topic_yet"][0])
    assert "No time for the CRM" in reply.text or all(t in reply.text for _, t in kb.topics("en"))
    assert reply.kb_entry is None and not reply.buttons


@pytest.mark.parametrize("intent", ["nlu_fallback", None, "something_new"])
def test_not_understood_says_so_lists_topics_and_never_guesses(kb, intent):
    reply = compose(kb, intent, "it", ConversationState(kb_entry="objection_no_time"))
    assert reply.text.startswith(kb.conversation["it"].texts["not_understood"][0])
    assert all(topic in reply.text for _, topic in kb.topics("it"))
    assert reply.source is None and reply.kb_entry is None


def test_feedback_is_about_the_last_answer(kb):
    answered = compose(kb, "objection_no_training", "en", ConversationState())
    helped = compose(kb, "feedback_helpful", "en", answered.state)
    not_helped = compose(kb, "feedback_not_helpful", "en", answered.state)
    assert (helped.feedback, helped.kb_entry) == ("helpful", "objection_no_training")
    assert not_helped.feedback == "not_helpful"
    assert kb.topics("en")[0][1] in not_helped.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("intent", ["greet", "ask_help", "bot_challenge", "out_of_scope", "goodbye"])
def test_conversation_intents_are_answered_in_the_language(kb, intent, language):
    reply = compose(kb, intent, language, ConversationState())
    texts = kb.conversation[language].texts
    key = {"ask_help": "help"}.get(intent, intent)
    assert reply.text.split("\n\n")[0] in texts[key]


@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_states_the_settings_in_force(kb, language):
    texts = kb.conversation[language].texts
    kept = compose(kb, "ask_privacy", language, ConversationState(), PrivacyPolicy(store_text=True, retention_days=180))
    not_kept = compose(kb, "ask_privacy", language, ConversationState(), PrivacyPolicy(store_text=False, retention_days=30))
    assert texts["privacy_text_kept"][0] in kept.text and "180" in kept.text
    assert texts["privacy_text_not_kept"][0] in not_kept.text and "30" in not_kept.text
    assert "/forget" in kept.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_forget_asks_first_and_erases_only_on_yes(kb, language):
    texts = kb.conversation[language].texts
    asked = compose(kb, "request_forget", language, ConversationState(kb_entry="objection_no_time"))
    assert asked.text == texts["forget"][0] and not asked.erase
    assert [b.payload for b in asked.buttons] == ["/affirm", "/deny"]
    confirmed = compose(kb, "affirm", language, asked.state)
    assert confirmed.erase and confirmed.text == texts["forgotten"][0]
    assert confirmed.state == ConversationState()
    declined = compose(kb, "deny", language, asked.state)
    assert not declined.erase and declined.text == texts["forget_kept"][0]


def test_a_yes_that_does_not_answer_the_forget_question_erases_nothing(kb):
    asked = compose(kb, "request_forget", "en", ConversationState())
    moved_on = compose(kb, "objection_no_time", "en", asked.state)
    assert moved_on.state.awaiting is None
    assert not compose(kb, "affirm", "en", moved_on.state).erase
    assert not compose(kb, "affirm", "en", ConversationState()).erase


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_language_choice_is_confirmed_and_a_bad_one_explained(kb, language):
    texts = kb.conversation[language].texts
    assert compose(kb, "set_language", language, ConversationState(), chosen_language=language).text == texts["language_set"][0]
    assert compose(kb, "set_language", language, ConversationState()).text == texts["language_usage"][0]
