"""Small text classifiers the project trains from its own labelled data (no downloads).

Character n-grams carry most of the signal in short, misspelt chat messages in three
languages; word n-grams add the lexical cues (negations, "grazie", "odio").
"""
from __future__ import annotations

from typing import Dict, Sequence, Tuple

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_union
from sklearn.feature_extraction.text import TfidfVectorizer


def train_text_classifier(
    texts: Sequence[str],
    labels: Sequence[str],
    char_ngrams: Tuple[int, int] = (1, 4),
    word_ngrams: Tuple[int, int] = (1, 2),
    regularisation: float = 10.0,
) -> Pipeline:
    features = make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=char_ngrams, sublinear_tf=True, lowercase=True),
        TfidfVectorizer(analyzer="word", ngram_range=word_ngrams, sublinear_tf=True, lowercase=True),
    )
    model = Pipeline(
        [("features", features), ("classifier", LogisticRegression(C=regularisation, max_iter=2000, class_weight="balanced"))]
    )
    model.fit(list(texts), list(labels))
    return model


def class_probabilities(model: Pipeline, text: str) -> Dict[str, float]:
    probabilities = model.predict_proba([text])[0]
    return {str(label): float(p) for label, p in zip(model.classes_, probabilities)}
