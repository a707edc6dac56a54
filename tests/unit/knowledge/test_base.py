"""The knowledge base: complete against the contract, and a validator (declared models plus
cross-file checks) that names every problem with its file and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.knowledge import base as knowledge
from bot.knowledge.base import KnowledgeError
from bot.settings import LANGUAGES
from tests.unit.knowledge.fixture_kb import CUATRO_P, PODCAST, faithful_files, write_kb

KNOWLEDGE_INTENTS = ("ask_failure_causes", "ask_adoption_advice")
NO_TIME = "answers/objection_no_time.yml"
NO_TIME_FILE = "knowledge/answers/objection_no_time.yml"
HOWTO = "howto/log_a_call.yml"


def test_every_objection_and_knowledge_intent_has_a_sourced_answer_in_every_language(kb, objection_intents):
    for intent in [*objection_intents, *KNOWLEDGE_INTENTS]:
        entry = kb.entry(intent)
        assert entry is not None, f"no knowledge entry for {intent}"
        assert entry.sources, intent
        for language in LANGUAGES:
            answer = entry.answers[language]
            assert len(answer.short) >= 2, (intent, language)
            assert answer.more and answer.tip and answer.topic, (intent, language)
            assert kb.cite(entry, language).count("«") == 1


def test_the_project_lists_its_documents_with_their_texts(kb):
    assert set(kb.documents) == {p.name for p in (knowledge.DEFAULT_KNOWLEDGE_DIR / "sources").glob("*.txt")}
    assert {d.language for d in kb.documents.values()} <= {"it", "es"}
    assert kb.documents["003_8e9bb38b7ff82365.txt"].outlet == "Merita Business Podcast"


@pytest.fixture
def files() -> dict[str, Any]:
    return faithful_files()


def _problems(tmp_path: Path, files: dict[str, Any]) -> list[str]:
    with pytest.raises(KnowledgeError) as raised:
        knowledge.load(write_kb(tmp_path, files))
    return raised.value.problems


def test_the_fixture_loads_with_its_entries_documents_and_howtos(tmp_path, files):
    kb = knowledge.load(write_kb(tmp_path, files))
    assert sorted(kb.entries) == ["ask_failure_causes", "objection_no_time"]
    assert kb.entry("objection_no_time").answers["es"].short[0] == "Lo sé, tu agenda va llena."
    assert kb.documents[CUATRO_P].year == 2016 and kb.documents[PODCAST].outlet == "Merita Business Podcast"
    assert str(kb.documents[PODCAST]) == "Perché molti progetti CRM falliscono?"  # what templates show
    assert kb.rules[10] == "Regola 10"
    howto = kb.howtos["log_a_call"]
    assert howto.example is True and howto.texts["en"].steps[0] == "Open the customer's record."
    assert kb.conversation["it"].labels["practice"] == "Dalla pratica"


def test_bad_yaml_names_the_file_and_the_line(tmp_path, files):
    files[NO_TIME] = "intent: [unclosed\n"
    (problem,) = _problems(tmp_path, files)
    assert problem.startswith(f"{NO_TIME_FILE}: line") and "not valid YAML" in problem


def test_every_problem_of_a_file_is_named_with_its_field(tmp_path, files):
    entry = files[NO_TIME]
    entry["en"]["short"] = ["only one"]
    entry["it"]["tip"] = "  "
    entry["it"]["short"][2] = 42
    entry["es"]["shrot"] = ["typo"]
    entry["four_ps"] = ["pricing"]
    entry["rules"] = [11]
    assert _problems(tmp_path, files) == [
        f"{NO_TIME_FILE}: four_ps[0]: unexpected value; permitted: 'processes', 'perception', 'privacy', 'politics'",
        f"{NO_TIME_FILE}: rules[0]: unexpected value; permitted: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10",
        f"{NO_TIME_FILE}: it.short[2]: must be a text",
        f"{NO_TIME_FILE}: it.tip: must be a non-empty text",
        f"{NO_TIME_FILE}: es.shrot: is not a known field (a typo?)",
        f"{NO_TIME_FILE}: en.short: needs at least 2 alternative texts, has 1",
    ]


def test_an_unknown_document_and_a_mismatched_intent_are_named_with_the_shape_problems(tmp_path, files):
    files[NO_TIME]["intent"] = "objection_no_tme"
    files[NO_TIME]["sources"][0]["document"] = "999_unknown.txt"
    files[NO_TIME]["en"]["topic"] = ""
    assert _problems(tmp_path, files) == [
        f"{NO_TIME_FILE}: en.topic: must be a non-empty text",
        f"{NO_TIME_FILE}: intent: 'objection_no_tme' must match the file name 'objection_no_time'",
        f"{NO_TIME_FILE}: sources[0].document: '999_unknown.txt' is not listed in knowledge/sources.yml",
    ]


def test_sources_yml_documents_need_their_text_a_title_and_a_language(tmp_path, files):
    documents = files["sources.yml"]["documents"]
    documents["003_missing.txt"] = {"title": "Not copied", "language": "it"}
    documents[CUATRO_P] = {"title": "", "language": "fr", "year": "2016", "author": "x"}
    del files["sources.yml"]["rules"][4]
    assert _problems(tmp_path, files) == [
        f"knowledge/sources.yml: documents.{CUATRO_P}.title: must be a non-empty text",
        f"knowledge/sources.yml: documents.{CUATRO_P}.language: unexpected value; permitted: 'it', 'es', 'en'",
        f"knowledge/sources.yml: documents.{CUATRO_P}.year: must be a whole number",
        f"knowledge/sources.yml: documents.{CUATRO_P}.author: is not a known field (a typo?)",
        "knowledge/sources.yml: rules: needs the title of every rule 1-10; missing: 4",
    ]


def test_a_listed_document_must_be_in_the_sources_folder(tmp_path, files):
    files["sources.yml"]["documents"]["003_missing.txt"] = {"title": "Not copied", "language": "it"}
    assert _problems(tmp_path, files) == [
        "knowledge/sources.yml: documents.003_missing.txt: is not in knowledge/sources/ (the document's text must be there)"
    ]


def test_a_missing_conversation_text_and_label_are_named_and_further_texts_allowed(tmp_path, files):
    conversation = files["conversation/es.yml"]
    conversation["privacidad"] = conversation.pop("privacy")
    del conversation["labels"]["practice"]
    conversation["buttons"]["call_trainer"] = "Llamar"
    assert _problems(tmp_path, files) == [
        "knowledge/conversation/es.yml: privacy: is missing",
        "knowledge/conversation/es.yml: labels.practice: is missing",
    ]
    conversation["privacy"] = conversation["privacidad"]
    conversation["labels"]["practice"] = "De la práctica"
    kb = knowledge.load(write_kb(tmp_path, files))  # a further text (for a new intent) is allowed
    assert kb.conversation["es"].texts["privacidad"] == ("Keep {text_clause} for {retention_days} days.",)
    assert kb.conversation["es"].buttons["call_trainer"] == "Llamar"


def test_further_conversation_texts_must_be_texts(tmp_path, files):
    files["conversation/en.yml"]["human_contact"] = ["ok", 3]
    assert _problems(tmp_path, files) == [
        "knowledge/conversation/en.yml: human_contact: must be a text or a list of non-empty texts"
    ]


def test_the_privacy_text_needs_its_placeholders(tmp_path, files):
    files["conversation/it.yml"]["privacy"] = "Tengo tutto per sempre."
    assert _problems(tmp_path, files) == [
        "knowledge/conversation/it.yml: privacy: must contain {text_clause} and {retention_days} (filled in from the settings)"
    ]


def test_howtos_are_optional(tmp_path, files):
    del files[HOWTO]
    assert knowledge.load(write_kb(tmp_path, files)).howtos == {}


def test_every_problem_of_a_howto_is_named(tmp_path, files):
    howto = files[HOWTO]
    howto["id"] = "log_call"
    howto["example"] = "yes"
    howto["it"]["questions"] = howto["it"]["questions"][:2]
    howto["es"]["steps"] = ["Solo un paso."]
    howto["en"]["title"] = "How to log a call in the CRM from your phone when you are out"
    howto["en"]["steps"][1] = " ".join(["step"] * 41)
    del howto["es"]["title"]
    assert _problems(tmp_path, files) == [
        "knowledge/howto/log_a_call.yml: example: must be true or false",
        "knowledge/howto/log_a_call.yml: it.questions: needs at least 3 example questions, has 2",
        "knowledge/howto/log_a_call.yml: es.title: is missing",
        "knowledge/howto/log_a_call.yml: es.steps: needs at least 2 steps, has 1",
        "knowledge/howto/log_a_call.yml: en.title: must be short: at most 10 words, has 15",
        "knowledge/howto/log_a_call.yml: en.steps[1]: must be short: at most 40 words, has 41",
        "knowledge/howto/log_a_call.yml: id: 'log_call' must match the file name 'log_a_call'",
    ]


def test_a_howto_without_a_language_is_named(tmp_path, files):
    del files[HOWTO]["en"]
    assert _problems(tmp_path, files) == ["knowledge/howto/log_a_call.yml: en: is missing"]


def test_the_citation_is_outlet_and_title_and_every_document_once(tmp_path, files):
    kb = knowledge.load(write_kb(tmp_path, files))
    entry = kb.entry("objection_no_time")
    assert kb.cite(entry, "it") == "Fonte: Merita Business Podcast, «Perché molti progetti CRM falliscono?»"
    assert kb.cite(entry, "es", every_source=True) == (
        "Fuente: Merita Business Podcast, «Perché molti progetti CRM falliscono?»; «Las cuatro P» (2016)"
    )
    assert kb.cite(kb.entry("ask_failure_causes"), "en") == "Source: «Las cuatro P» (2016)"


def test_texts_that_promise_the_help_contact_must_show_it(tmp_path, files):
    files["conversation/it.yml"]["request_human"] = "Scrivi al team CRM."
    files["conversation/it.yml"]["howto_no_match"] = ["Chiedi a {help_contact}.", "Chiedi al team."]
    assert _problems(tmp_path, files) == [
        "knowledge/conversation/it.yml: request_human: must contain {help_contact} (filled in from COACH_HELP_CONTACT)",
        "knowledge/conversation/it.yml: howto_no_match: must contain {help_contact} (filled in from COACH_HELP_CONTACT)",
    ]
