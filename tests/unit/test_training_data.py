"""Training and held-out data against the contract: every intent, every language, never overlapping.
Everything is read with Rasa's own loaders, so it is what Rasa trains on."""

from __future__ import annotations

import pytest

from bot.knowledge.check import rule_intents
from bot.learning.evaluation import read_intent_examples
from bot.learning.examples import domain_intents, intent_examples, normalised
from bot.settings import LANGUAGES
from tests.conftest import ROOT

MIN_OBJECTION_EXAMPLES = 30


def _domain_intents() -> set:
    return set(domain_intents(ROOT / "domain.yml"))


def _training_files(language: str) -> list:
    """A language's training files: `<lang>.yml` and every `<purpose>_<lang>.yml` beside it."""
    folder = ROOT / "data" / "nlu"
    return [folder / f"{language}.yml", *sorted(folder.glob(f"*_{language}.yml"))]


def test_every_training_file_belongs_to_a_language():
    claimed = {path for language in LANGUAGES for path in _training_files(language)}
    assert set((ROOT / "data" / "nlu").glob("*.yml")) == claimed


def test_domain_declares_every_contract_intent(intents):
    assert set(intents) <= _domain_intents()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_intent_is_trained_and_held_out_in_each_language(language, intents, objection_intents):
    trained = [example for path in _training_files(language) for example in read_intent_examples(path)]
    held_out = read_intent_examples(ROOT / "data" / "tests" / f"{language}.yml")
    counts = {i: sum(1 for _, intent in trained if intent == i) for i in _domain_intents()}
    assert all(counts[i] >= MIN_OBJECTION_EXAMPLES for i in objection_intents), counts
    assert all(counts[i] > 0 for i in intents), counts
    assert {i for _, i in held_out} == _domain_intents()
    seen = {normalised(t) for t, _ in trained}
    leaked = [t for t, _ in held_out if normalised(t) in seen]
    assert not leaked, f"held-out examples also in training: {leaked}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_intent_block_declares_its_language(language):
    examples = [(path.name, e) for path in _training_files(language) for e in intent_examples(path)]
    wrong = sorted({(name, e.intent) for name, e in examples if e.language != language})
    assert not wrong, f"blocks without `metadata: {{language: {language}}}`: {wrong}"


def test_every_intent_has_a_rule():
    assert _domain_intents() | {"nlu_fallback"} <= rule_intents(ROOT / "data" / "rules.yml")
