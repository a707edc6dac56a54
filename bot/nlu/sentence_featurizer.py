"""Sentence embeddings as Rasa dense features: the part the E5 and USE featurizers share.

Each encoder's features carry the encoder's name as their origin, so a later component can
ask for the vector it was tuned on (`sentence_embedding(message, "e5")`) however many
encoders the pipeline runs (an `alias` in config.yml, which would rename them, is refused).
The encoders read the text with the chat shorthand of its language written out (`shorthand`).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT, TEXT_TOKENS
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.language import is_payload
from bot.nlu.language_identifier import LANGUAGE, example_language
from bot.nlu.shorthand import expand

BATCH_SIZE = 64


def sentence_embedding(message: Message, origin: str) -> np.ndarray | None:
    """The sentence vector the encoder named `origin` gave the message, if it ran."""
    _, sentence = message.get_dense_features(TEXT, featurizers=[origin])
    return None if sentence is None else np.asarray(sentence.features, dtype=np.float32).reshape(-1)


class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds one encoder's sentence vector to every message with text (button payloads get zeros)."""

    ORIGIN: ClassVar[str]
    DIMENSIONS: ClassVar[int]

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        # Another name would leave the guard and the classifier, which ask for "e5" or "use",
        # without these vectors and without an error.
        alias = config.get(FEATURIZER_CLASS_ALIAS)
        if alias not in (None, cls.ORIGIN):
            raise ValueError(f"{cls.__name__}: its features are named {cls.ORIGIN!r}; leave out `alias` ({alias!r})")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        return cls({**cls.get_default_config(), **config})

    def __init__(self, config: dict[str, Any]) -> None:
        # The encoder's name, not the graph node's, is the features' origin.
        super().__init__(self.ORIGIN, config)

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text."""

    def process(self, messages: list[Message]) -> list[Message]:
        with_text = [m for m in messages if m.get(TEXT) is not None]
        # A button payload's intent comes from the payload itself (Rasa's RegexMessageHandler):
        # embedding it would spend a third of the embedding time of a typical conversation for nothing.
        for message in (m for m in with_text if is_payload(m.get(TEXT))):
            self._add(message, np.zeros(self.DIMENSIONS, dtype=np.float32))
        to_embed = [m for m in with_text if not is_payload(m.get(TEXT))]
        for start in range(0, len(to_embed), BATCH_SIZE):
            batch = to_embed[start : start + BATCH_SIZE]
            texts = [expand(m.get(TEXT), m.get(LANGUAGE) or example_language(m)) for m in batch]
            for message, vector in zip(batch, self.embed(texts), strict=True):
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
