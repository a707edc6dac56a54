"""The feature-block product gives scikit-learn's own probabilities, whatever the model's layout."""

import numpy as np
import pytest
from scipy.sparse import csr_matrix, hstack
from scipy.sparse import random as sparse_random
from sklearn.linear_model import LogisticRegression

from bot.nlu import linear


def _blocks(rows: int, seed: int) -> list:
    generator = np.random.default_rng(seed)
    return [
        sparse_random(rows, 40, density=0.1, format="csr", random_state=seed),
        sparse_random(rows, 25, density=0.2, format="csr", random_state=seed + 1),
        generator.normal(size=(rows, 8)) * 2.0,
    ]


def _stacked(blocks: list):
    return hstack([csr_matrix(block) for block in blocks]).tocsr()


@pytest.mark.parametrize(
    "classes, options",
    [(4, {}), (2, {}), (3, {"multi_class": "ovr"}), (3, {"solver": "liblinear"})],
    ids=["multinomial", "binary", "one-vs-rest", "liblinear"],
)
@pytest.mark.parametrize("fortran", [False, True], ids=["as-trained", "column-major"])
def test_probabilities_equal_predict_proba_of_the_stacked_matrix(classes, options, fortran):
    training = _blocks(200, seed=1)
    labels = np.arange(200) % classes
    classifier = LogisticRegression(C=10, max_iter=2000, **options).fit(_stacked(training), labels)
    if fortran:
        classifier.coef_ = np.asfortranarray(classifier.coef_)
    for rows in (1, 7):
        message = _blocks(rows, seed=rows + 10)
        expected = classifier.predict_proba(_stacked(message))
        np.testing.assert_allclose(linear.probabilities(classifier, message), expected, rtol=1e-10, atol=1e-12)


def test_blocks_narrower_than_the_model_are_refused():
    training = _blocks(60, seed=3)
    classifier = LogisticRegression(max_iter=2000).fit(_stacked(training), np.arange(60) % 3)
    with pytest.raises(ValueError, match="features given"):
        linear.probabilities(classifier, _blocks(1, seed=4)[:2])
