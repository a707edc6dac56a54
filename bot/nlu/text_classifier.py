"""Small text classifiers the project trains from its own labelled data (no downloads).

Character n-grams carry most of the signal in short, misspelt chat messages in three
languages; word n-grams add lexical cues (negations, "grazie", "odio"); the optional
E5 sentence embedding adds meaning across synonyms and languages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_union

from bot.nlu import linear
from bot.nlu.embeddings import embed


@dataclass
class TextClassifier:
    vectorizer: FeatureUnion
    classifier: LogisticRegression
    dense_weight: float  # 0: n-grams only

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(str(label) for label in self.classifier.classes_)

    def _blocks(self, texts: Sequence[str], embeddings: np.ndarray | None) -> list:
        # FeatureUnion.transform's result without its joblib dispatch, a third of this call for one text.
        blocks = [vectorizer.transform(texts) for _, vectorizer in self.vectorizer.transformer_list]
        if self.dense_weight:
            blocks.append((embed(texts) if embeddings is None else embeddings) * self.dense_weight)
        return blocks

    def features(self, texts: Sequence[str], embeddings: np.ndarray | None = None):
        return hstack([csr_matrix(block) for block in self._blocks(texts, embeddings)]).tocsr()

    def probabilities(self, text: str, embedding: np.ndarray | None = None) -> dict[str, float]:
        """Class probabilities; pass the text's E5 embedding when the pipeline already computed it."""
        embeddings = None if embedding is None else np.asarray(embedding).reshape(1, -1)
        row = linear.probabilities(self.classifier, self._blocks([text], embeddings))[0]
        return dict(zip(self.labels, map(float, row), strict=True))


def train_text_classifier(
    texts: Sequence[str],
    labels: Sequence[str],
    char_ngrams: tuple[int, int] = (1, 4),
    word_ngrams: tuple[int, int] = (1, 1),
    regularisation: float = 10.0,
    dense_weight: float = 0.0,
    embeddings: np.ndarray | None = None,
) -> TextClassifier:
    """`embeddings`: the texts' E5 rows when the caller embedded them itself (as the pipeline does)."""
    vectorizer = make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=char_ngrams, sublinear_tf=True),
        TfidfVectorizer(analyzer="word", ngram_range=word_ngrams, sublinear_tf=True),
    )
    vectorizer.fit(list(texts))
    model = TextClassifier(
        vectorizer, LogisticRegression(C=regularisation, max_iter=3000, class_weight="balanced"), dense_weight
    )
    model.classifier.fit(model.features(list(texts), embeddings), list(labels))
    return model
