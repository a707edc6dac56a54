"""The language-aware tokenizer in isolation: spaCy's blank pipeline of the message's language,
its lookup lemmas, and no punctuation tokens."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.language_identifier import LANGUAGE
from bot.nlu.spacy_tokenizer import LanguageAwareTokenizer


@pytest.fixture(scope="module")
def tokenizer() -> LanguageAwareTokenizer:
    return LanguageAwareTokenizer.create(
        LanguageAwareTokenizer.get_default_config(), None, Resource("tokens"), ExecutionContext(GraphSchema({}), "t")
    )


def tokens(tokenizer: LanguageAwareTokenizer, text: str, language: str | None) -> list[tuple[str, str]]:
    message = Message({TEXT: text, **({LANGUAGE: language} if language else {})})
    return [(token.text, token.lemma) for token in tokenizer.tokenize(message, TEXT)]


def test_italian_elisions_are_split_and_words_get_their_lemma(tokenizer):
    assert tokens(tokenizer, "Non c'è tempo per i clienti dell'offerta!", "it") == [
        ("Non", "Non"),
        ("c'", "c'"),
        ("è", "essere"),
        ("tempo", "tempo"),
        ("per", "per"),
        ("i", "il"),
        ("clienti", "cliente"),
        ("dell'", "della"),
        ("offerta", "offrire"),
    ]


def test_spanish_inverted_marks_are_not_glued_to_words_and_verbs_get_their_infinitive(tokenizer):
    found = tokens(tokenizer, "¿Por qué tengo que usarlo?", "es")
    texts = [text for text, _ in found]
    assert texts[0] == "Por" and "¿" not in "".join(texts) and "?" not in "".join(texts)
    assert ("tengo", "tener") in found


def test_a_training_example_is_read_in_its_blocks_language(tokenizer):
    example = Message.build("tengo clientes", "objection_clients_are_mine", intent_metadata={"language": "es"})
    tokenizer.process_training_data(TrainingData([example]))
    assert [token.lemma for token in example.get("text_tokens")] == ["tener", "cliente"]


def test_without_a_known_language_the_neutral_rules_apply_and_nothing_is_lemmatised(tokenizer):
    assert tokens(tokenizer, "clienti miei", None) == [("clienti", "clienti"), ("miei", "miei")]
    assert tokens(tokenizer, "clienti miei", "fr") == [("clienti", "clienti"), ("miei", "miei")]


def test_a_message_of_punctuation_alone_still_has_a_token(tokenizer):
    # Rasa's featurizers need at least one token; WhitespaceTokenizer keeps the text the same way.
    assert tokens(tokenizer, "?!", "it") == [("?!", "?!")]
    # Every token points at its own text in the message, for entity spans.
    message = Message({TEXT: "Ciao, come va?", LANGUAGE: "it"})
    assert all(message.get(TEXT)[t.start : t.end] == t.text for t in tokenizer.tokenize(message, TEXT))
