"""Class probabilities of the project's fitted logistic regressions, from their feature blocks.

scikit-learn wants one stacked matrix (sparse n-grams beside the dense E5 embedding), and
stacking, converting and re-checking it cost more than the product itself for the one
message a parse carries. Here each block is multiplied by its own columns of the
coefficients; the result is scikit-learn's `predict_proba` (`tests/unit/nlu/test_linear.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.sparse import hstack
from sklearn.linear_model import LogisticRegression
from sklearn.utils.extmath import softmax


def _multinomial(classifier: LogisticRegression) -> bool:
    """scikit-learn 1.1's choice between softmax and one-vs-rest in `predict_proba`."""
    ovr = classifier.multi_class in ("ovr", "warn") or (
        classifier.multi_class == "auto" and (classifier.classes_.size <= 2 or classifier.solver == "liblinear")
    )
    return not ovr


def probabilities(classifier: LogisticRegression, blocks: Sequence[Any]) -> np.ndarray:
    """`classifier.predict_proba` of the blocks side by side (sparse or dense, same rows)."""
    if not _multinomial(classifier):
        return classifier.predict_proba(hstack(blocks).tocsr())
    coefficients = classifier.coef_
    scores = np.tile(classifier.intercept_, (blocks[0].shape[0], 1))
    start = 0
    for block in blocks:
        width = block.shape[1]
        scores += block @ coefficients[:, start : start + width].T
        start += width
    if start != coefficients.shape[1]:
        raise ValueError(f"{start} features given, the classifier was trained on {coefficients.shape[1]}")
    return softmax(scores, copy=False)
