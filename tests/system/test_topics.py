"""A trainer's topic, for real (slow: one full training, about 8-10 minutes on a 2-core machine):
created from its spec on a copy of the project, trained with the product's pipeline, recognised
on its held-out phrasings and answered in Italian, Spanish and English, then removed, leaving the
files as they were."""

from __future__ import annotations

from bot.adoption_log.store import LogStore
from bot.knowledge import base as knowledge
from bot.knowledge.replies import ConversationState, compose
from bot.learning import topics, training
from bot.learning.examples import intent_examples
from bot.nlu.parser import load_parser
from bot.settings import LANGUAGES
from tests.conftest import ROOT
from tests.unit.learning.test_topics import EXAMPLES, NAME, PROJECT_FILES, spec

# 36 phrasings per language (29 trained, 7 held out): the same sentences said three ways.
ENDINGS = {
    "it": ("", ", sul serio", ", ogni giorno"),
    "es": ("", ", en serio", ", cada día"),
    "en": ("", ", seriously", ", every day"),
}


def test_a_topic_is_created_trained_answered_in_three_languages_and_removed(tmp_path):
    project = topics.copy_project(ROOT, ROOT / "knowledge", ROOT / "data", tmp_path / "project")
    before = {name: (project.root / name).read_bytes() for name in PROJECT_FILES}
    store = LogStore(f"sqlite:///{tmp_path / 'coach.db'}")
    store.migrate()
    manager = topics.Topics(project, store.engine)
    examples = {lang: [f"{text}{end}" for end in ENDINGS[lang] for text in EXAMPLES[lang]] for lang in LANGUAGES}
    change = manager.add(spec(examples=examples), "tina")
    assert change.ok, change.problems

    data = project.data_dir
    model = training.train_candidate(
        project.config, project.domain, [data / "nlu", data / "rules.yml", data / "stories.yml"], tmp_path / "models"
    )
    parse = load_parser(model)
    kb = knowledge.load(project.knowledge_dir)
    for language in LANGUAGES:
        held_out = [e.text for e in intent_examples(project.held_out(language)) if e.intent == NAME]
        recognised = [text for text in held_out if parse(text)["intent"]["name"] == NAME]
        assert len(recognised) >= len(held_out) - 2, (language, held_out, recognised)
        reply = compose(kb, NAME, language, ConversationState())
        assert reply.text.split("\n\n")[0] in kb.entries[NAME].answers[language].short

    assert manager.remove(NAME, "tina").ok
    assert {name: (project.root / name).read_bytes() for name in PROJECT_FILES} == before
    store.close()
