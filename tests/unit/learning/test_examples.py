"""Training data read by Rasa's own loaders: domain intents, examples with their language, and
the learning loop's additions (skipping known texts, refusing held-out ones)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.learning import examples as learning
from bot.learning.evaluation import read_intent_examples

DOMAIN = """version: "3.1"
intents:
  - objection_no_time
  - set_language:
      use_entities: [chosen_language]
  - out_of_scope
entities:
  - chosen_language
"""
TRAINING = """version: "3.1"
nlu:
- intent: objection_no_time
  metadata:
    language: it
  examples: |
    - non ho tempo per [Salesforce](crm)
    - il CRM mi ruba   tempo
- intent: out_of_scope
  metadata:
    language: it
  examples: |
    - che tempo fa domani
"""
HELD_OUT = """version: "3.1"
nlu:
- intent: objection_no_time
  examples: |
    - zero tempo per inserire dati
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "nlu").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "nlu" / "it.yml").write_text(TRAINING, encoding="utf-8")
    (tmp_path / "tests" / "it.yml").write_text(HELD_OUT, encoding="utf-8")
    return tmp_path


def test_domain_intents_are_the_declared_ones_without_rasa_defaults(tmp_path):
    (tmp_path / "domain.yml").write_text(DOMAIN, encoding="utf-8")
    assert learning.domain_intents(tmp_path / "domain.yml") == ["objection_no_time", "out_of_scope", "set_language"]


def test_examples_carry_their_text_without_markup_and_their_blocks_language(data_dir):
    assert learning.intent_examples(data_dir / "nlu" / "it.yml") == [
        ("non ho tempo per Salesforce", "objection_no_time", "it"),
        ("il CRM mi ruba   tempo", "objection_no_time", "it"),
        ("che tempo fa domani", "out_of_scope", "it"),
    ]
    assert learning.intent_examples(data_dir / "tests" / "it.yml") == [
        ("zero tempo per inserire dati", "objection_no_time", None)
    ]
    assert read_intent_examples(data_dir / "tests" / "it.yml") == [
        ("zero tempo per inserire dati", "objection_no_time")
    ]


def test_known_texts_are_skipped_held_out_ones_refused_and_new_ones_learned(data_dir):
    added = learning.add_examples(
        data_dir,
        "it",
        "objection_no_time",
        [
            "Non ho tempo per Salesforce",
            "il crm mi ruba tempo",
            "Zero tempo, per inserire  dati!",
            "mai un minuto per il crm",
            "non ho tempo per salesforce…",
        ],
        ["objection_no_time", "out_of_scope"],
    )
    # Case, spacing and punctuation aside, a text is the one already known or held out.
    assert added.already_known == [
        "Non ho tempo per Salesforce",
        "il crm mi ruba tempo",
        "non ho tempo per salesforce…",
    ]
    assert added.held_out == ["Zero tempo, per inserire dati!"]
    assert added.added == ["mai un minuto per il crm"]
    learned = learning.intent_examples(learning.learned_file(data_dir, "it"))
    assert learned == [("mai un minuto per il crm", "objection_no_time", "it")]
    again = learning.add_examples(
        data_dir, "it", "objection_no_time", ["mai un minuto per il CRM"], ["objection_no_time"]
    )
    assert again.already_known == ["mai un minuto per il CRM"] and not again.added


def test_an_intent_outside_the_domain_or_an_unknown_language_is_refused(data_dir):
    with pytest.raises(ValueError, match="not an intent"):
        learning.add_examples(data_dir, "it", "objection_made_up", ["x"], ["objection_no_time"])
    with pytest.raises(ValueError, match="language"):
        learning.add_examples(data_dir, "fr", "objection_no_time", ["x"], ["objection_no_time"])
