"""Replies composed from the real knowledge base: sourced answers, follow-ups, honest fallback;
and, on the fixture knowledge base, exactly what the citation and the tip look like."""

from __future__ import annotations

import pytest

from bot.knowledge import base as knowledge
from bot.knowledge.replies import ConversationState, MessageFacts, PrivacyPolicy, compose
from bot.settings import LANGUAGES
from tests.unit.knowledge.fixture_kb import faithful_files, write_kb


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
    documents = {kb.documents[s.document].title for s in kb.entry("objection_clients_are_mine").sources}
    assert more.source.count("«") == len(documents) > 1  # "more" cites every document it draws on, once
    assert tip.text == f"Dalla pratica: {answer.tip}" and tip.source is None  # the coach's practice: no document
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
    not_kept = compose(
        kb, "ask_privacy", language, ConversationState(), PrivacyPolicy(store_text=False, retention_days=30)
    )
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
    assert (
        compose(kb, "set_language", language, ConversationState(), chosen_language=language).text
        == texts["language_set"][0]
    )
    assert compose(kb, "set_language", language, ConversationState()).text == texts["language_usage"][0]


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory):
    return knowledge.load(write_kb(tmp_path_factory.mktemp("kb"), faithful_files()))


def test_an_answer_cites_outlet_and_title_only(small_kb):
    reply = compose(small_kb, "objection_no_time", "it", ConversationState())
    assert (
        reply.text
        == "Lo so, la giornata è piena.\n\nFonte: Merita Business Podcast, «Perché molti progetti CRM falliscono?»"
    )
    assert reply.source == "Fonte: Merita Business Podcast, «Perché molti progetti CRM falliscono?»"
    assert ".txt" not in reply.text


def test_tell_me_more_cites_every_document_once(small_kb):
    answered = compose(small_kb, "objection_no_time", "en", ConversationState())
    more = compose(small_kb, "ask_more", "en", answered.state)
    assert more.text.endswith(
        "\n\nSource: Merita Business Podcast, «Perché molti progetti CRM falliscono?»; «Las cuatro P» (2016)"
    )
    assert more.text.startswith("More: People who led these projects")


@pytest.mark.parametrize(
    ("language", "label"), [("it", "Dalla pratica"), ("es", "De la práctica"), ("en", "From practice")]
)
def test_a_tip_is_labelled_as_practice_and_cites_no_document(small_kb, language, label):
    answered = compose(small_kb, "objection_no_time", language, ConversationState())
    tip = compose(small_kb, "ask_tip", language, answered.state)
    assert tip.text == f"{label}: {small_kb.entry('objection_no_time').answers[language].tip}"
    assert tip.source is None and "«" not in tip.text
    assert [b.payload for b in tip.buttons] == ["/ask_more", "/feedback_helpful", "/feedback_not_helpful"]
    assert tip.kb_entry == "objection_no_time"


@pytest.mark.parametrize("language", LANGUAGES)
def test_asking_for_a_person_gives_the_help_contact_and_leaves_a_request_only_on_yes(kb, language):
    facts = MessageFacts(contact="Giulia Neri, crm-help@example.com")
    asked = compose(kb, "request_human", language, ConversationState(), facts=facts)
    assert "Giulia Neri, crm-help@example.com" in asked.text and asked.request is None
    assert [b.payload for b in asked.buttons] == ["/affirm", "/deny"]
    assert asked.state.awaiting == "person"
    agreed = compose(kb, "affirm", language, asked.state, facts=facts)
    assert agreed.request == "person" and agreed.text == kb.conversation[language].texts["human_requested"][0]
    declined = compose(kb, "deny", language, asked.state, facts=facts)
    assert declined.request is None and declined.state.awaiting is None


def test_without_a_configured_contact_the_generic_wording_is_shown(kb):
    reply = compose(kb, "request_human", "it", ConversationState())
    assert kb.conversation["it"].texts["help_contact_default"][0] in reply.text
    assert "{help_contact}" not in reply.text


def test_a_yes_after_another_message_leaves_no_request(kb):
    asked = compose(kb, "request_human", "en", ConversationState())
    moved_on = compose(kb, "objection_no_time", "en", asked.state)
    assert compose(kb, "affirm", "en", moved_on.state).request is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_matched_how_to_gives_its_steps_marked_as_an_example_with_a_source(kb, language):
    reply = compose(kb, "ask_howto", language, ConversationState(), facts=MessageFacts(howto_id="log_a_call"))
    guide = kb.howtos["log_a_call"].texts[language]
    assert reply.text.startswith(f"{guide.title}:\n1. {guide.steps[0]}")
    assert kb.conversation[language].texts["howto_example_note"][0] in reply.text
    assert reply.source and reply.text.endswith(reply.source)
    assert reply.kb_entry == "howto:log_a_call"


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unmatched_how_to_says_so_honestly_and_gives_the_help_contact(kb, language):
    reply = compose(kb, "ask_howto", language, ConversationState(), facts=MessageFacts(contact="helpdesk x123"))
    assert "helpdesk x123" in reply.text and reply.kb_entry is None
    assert [b.payload for b in reply.buttons] == ["/request_human"]


def test_a_second_objection_is_offered_as_a_button_with_its_topic(kb):
    facts = MessageFacts(second_objection="objection_manager_not_using")
    reply = compose(kb, "objection_no_time", "it", ConversationState(), facts=facts)
    topic = kb.entry("objection_manager_not_using").answers["it"].topic
    assert reply.buttons[0].title == f"Anche: {topic}" and reply.buttons[0].payload == "/objection_manager_not_using"
    assert reply.text.startswith(kb.entry("objection_no_time").answers["it"].short[0])
    same = compose(
        kb, "objection_no_time", "it", ConversationState(), facts=MessageFacts(second_objection="objection_no_time")
    )
    assert [b.payload for b in same.buttons][0] == "/ask_more"
