"""Adds `sentiment` ({"label", "score"}) to every parsed message.

It trains on the labelled files named by `training_files` (not on Rasa's NLU data,
which has no sentiment labels). Rasa's training cache does not see those files, so
`make model` retrains with --force when they change.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import sentiment
from bot.nlu.e5_featurizer import E5_ORIGIN
from bot.nlu.language import is_payload
from bot.nlu.sentence_featurizer import sentence_embedding
from bot.nlu.trained_model import TrainedModelComponent

SENTIMENT = "sentiment"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SentimentAnalyzer(TrainedModelComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"training_files": ["data/sentiment"]}

    def train(self, training_data: TrainingData) -> Resource:
        examples = sentiment.read_labelled(self.config["training_files"])
        if not examples:
            raise ValueError(f"SentimentAnalyzer found no labelled examples in {self.config['training_files']}")
        return self.train_and_persist(sentiment.train(examples))

    def annotate(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        # A button payload ("/ask_more") or an empty message expresses no feeling.
        if is_payload(text) or not text.strip():
            result = sentiment.Sentiment("neutral", 0.0)
        else:
            result = sentiment.analyse(self.trained, text, sentence_embedding(message, E5_ORIGIN))
        message.set(SENTIMENT, result.as_dict(), add_to_output=True)
