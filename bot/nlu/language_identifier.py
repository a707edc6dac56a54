"""Adds `language` ("it" | "es" | "en") and how it was decided to every parsed message."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import language
from bot.nlu.trained_model import TrainedModelComponent

LANGUAGE = "language"
LANGUAGE_SOURCE = "language_source"
# Channels put the user's language hint (Telegram language_code, Slack locale) here.
HINT_KEY = "language_hint"


def example_language(message: Message):
    """The language a training example is written in: its intent block's `metadata: {language: xx}`."""
    metadata = message.get("metadata") or {}
    return (metadata.get("intent") or {}).get(LANGUAGE)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LanguageIdentifier(TrainedModelComponent):
    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if example_language(m)]
        if not examples:
            raise ValueError(
                "LanguageIdentifier found no training example with a language: give every intent "
                "block in data/nlu/<lang>.yml `metadata: {language: <lang>}`."
            )
        if len({example_language(m) for m in examples}) < 2:
            raise ValueError("LanguageIdentifier needs training examples in at least two languages.")
        return self.train_and_persist(
            language.train([m.get(TEXT) for m in examples], [example_language(m) for m in examples])
        )

    def annotate(self, message: Message) -> None:
        hint = (message.get("metadata") or {}).get(HINT_KEY)
        detected, decided_by = language.identify(self.trained, message.get(TEXT) or "", hint)
        message.set(LANGUAGE, detected, add_to_output=True)
        message.set(LANGUAGE_SOURCE, decided_by, add_to_output=True)
