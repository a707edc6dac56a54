"""Language-aware tokens and lemmas from spaCy's blank Italian, Spanish and English pipelines.

The pipeline is multilingual (`language: xx` in config.yml), so Rasa's own SpacyTokenizer,
which loads one language's model, does not fit. This tokenizer reads the language the
`LanguageIdentifier` found (it runs first) — or, for a training example, the language its
intent block declares — and uses that language's tokenizer rules ("dell'offerta" ->
"dell'" + "offerta", "¿por qué?" without the inverted mark glued to the word) and lookup
lemmatizer ("clienti" -> "cliente", "tengo" -> "tener"). The lemmas feed the word-count
features; the character n-grams read the words as written (config.yml: `use_lemma: false`), where
a typo or an abbreviation still looks like its word. Nothing is downloaded: the lookup tables come with `spacy-lookups-data` from PyPI.
"""

from __future__ import annotations

from typing import Any

import spacy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.language_identifier import LANGUAGE, example_language
from bot.settings import LANGUAGES

# spaCy's language-neutral tokenizer, for intent names and anything without a language.
NEUTRAL = "xx"


def blank_pipeline(language: str) -> spacy.language.Language:
    """spaCy's blank pipeline for `language`, with its lookup lemmatizer where spaCy has one."""
    nlp = spacy.blank(language)
    if language != NEUTRAL:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class LanguageAwareTokenizer(Tokenizer):
    """Tokens and lemmas in the message's own language (it, es, en)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Split intent names into tokens (Rasa's tokenizer option; the coach does not).
            "intent_tokenization_flag": False,
            # The symbol intent names are split on, when the flag above is set.
            "intent_split_symbol": "_",
            # A regular expression that further splits tokens (Rasa's option; unused here).
            "token_pattern": None,
            # A symbol that splits a prefix from a token (Rasa's option; unused here).
            "prefix_separator_symbol": None,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        # Loaded once, at start-up: about a second per language, then well under a millisecond a message.
        self._pipelines = {language: blank_pipeline(language) for language in (*LANGUAGES, NEUTRAL)}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageAwareTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        nlp = self._pipelines[self._language(message, attribute)]
        # Punctuation is left out, as Rasa's WhitespaceTokenizer leaves it: as word features "?" and
        # "," told intents apart only by chance on the held-out files (README, `make compare`).
        words = [word for word in nlp(text) if not (word.is_space or word.is_punct)]
        if not words:
            return [Token(text, 0, lemma=text)]
        return [Token(word.text, word.idx, lemma=word.lemma_ or word.text) for word in words]

    def _language(self, message: Message, attribute: str) -> str:
        if attribute != TEXT:
            return NEUTRAL
        language: str | None = message.get(LANGUAGE) or example_language(message)
        return language if language in self._pipelines else NEUTRAL
