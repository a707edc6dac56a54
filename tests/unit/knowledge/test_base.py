"""The knowledge base: complete against the contract, and a validator that names file and field."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.knowledge import base as knowledge
from bot.settings import LANGUAGES
from bot.knowledge.base import KnowledgeError
from tests.conftest import SOURCES as SEEDS

KNOWLEDGE_INTENTS = ("ask_failure_causes", "ask_adoption_advice")


def test_every_objection_and_knowledge_intent_has_a_sourced_answer_in_every_language(kb, objection_intents):
    for intent in [*objection_intents, *KNOWLEDGE_INTENTS]:
        entry = kb.entry(intent)
        assert entry is not None, f"no knowledge entry for {intent}"
        assert entry.sources, intent
        for language in LANGUAGES:
            answer = entry.answers[language]
            assert len(answer.short) >= 2, (intent, language)
            assert answer.more and answer.tip and answer.topic, (intent, language)
            assert kb.cite(entry, language).count(".txt)") == 1


def test_cited_documents_exist_among_the_seeds(kb):
    if not SEEDS.exists():
        pytest.skip(f"the source documents {SEEDS} are not beside this checkout")
    cited = {s.document for e in kb.entries.values() for s in e.sources} | set(kb.documents)
    assert cited <= {p.name for p in SEEDS.iterdir()}


def test_the_full_citation_groups_sections_by_document(kb):
    entry = kb.entry("objection_clients_are_mine")
    full = kb.cite(entry, "it", every_source=True)
    assert full.startswith("Fonte: ")
    assert full.count(".txt)") == len({s.document for s in entry.sources}) > 1
    assert kb.cite(entry, "en").count(".txt)") == 1


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(knowledge.DEFAULT_KNOWLEDGE_DIR, root)
    return root


def _problems(root: Path) -> str:
    with pytest.raises(KnowledgeError) as raised:
        knowledge.load(root)
    return "\n".join(raised.value.problems)


def test_bad_yaml_names_the_file_and_the_line(kb_copy):
    (kb_copy / "answers" / "objection_no_time.yml").write_text("intent: [unclosed\n", encoding="utf-8")
    problems = _problems(kb_copy)
    assert "knowledge/answers/objection_no_time.yml: line" in problems
    assert "not valid YAML" in problems


def test_a_missing_language_and_an_empty_answer_are_named(kb_copy):
    path = kb_copy / "answers" / "objection_no_time.yml"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    del data["es"]
    data["en"]["short"] = ["only one"]
    data["it"]["tip"] = "  "
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = _problems(kb_copy)
    assert "objection_no_time.yml: es: must be a mapping" in problems
    assert "objection_no_time.yml: en.short: needs at least 2 alternative texts" in problems
    assert "objection_no_time.yml: it.tip: must be a non-empty text" in problems


def test_an_unknown_document_and_a_mismatched_intent_are_named(kb_copy):
    path = kb_copy / "answers" / "objection_no_time.yml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("intent: objection_no_time", "intent: objection_no_tme", 1)
    text = text.replace("003_8e9bb38b7ff82365.txt", "999_unknown.txt", 1)
    path.write_text(text, encoding="utf-8")
    problems = _problems(kb_copy)
    assert "intent: 'objection_no_tme' must match the file name 'objection_no_time'" in problems
    assert "'999_unknown.txt' is not listed in knowledge/sources.yml" in problems


def test_a_missing_conversation_text_is_named(kb_copy):
    path = kb_copy / "conversation" / "es.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("privacy:", "privacidad:"), encoding="utf-8")
    assert "knowledge/conversation/es.yml: privacy: must be a text or a list" in _problems(kb_copy)


def test_every_figure_in_the_answers_appears_in_the_source_documents(kb):
    """A number the documents do not contain would be an invented figure (document ids like 003 aside)."""
    if not SEEDS.exists():
        pytest.skip(f"the source documents {SEEDS} are not beside this checkout")
    in_documents = set(re.findall(r"\d+", " ".join(p.read_text(encoding="utf-8") for p in SEEDS.iterdir())))
    document_ids = {name.split("_")[0] for name in kb.documents}
    invented = [
        (entry.intent, language, number)
        for entry in kb.entries.values()
        for language, answer in entry.answers.items()
        for text in (*answer.short, answer.more, answer.tip, answer.for_leads)
        for number in re.findall(r"\d+", text)
        if number not in in_documents | document_ids
    ]
    assert not invented
