"""Which how-to entry (`knowledge/howto/`) a salesperson's question asks for.

The question is compared, in the E5 embedding space the NLU already uses, with every
example question trainers wrote for each entry, in all three languages. An entry is
chosen only when its closest example question is close enough AND clearly closer than
any other entry's: with a doubtful match the coach says honestly that it cannot guide
through the company's screens, which is better than the wrong steps.

The embeddings of the example questions are computed once per version of the how-to
files; a trainer's edit gives a new knowledge base and so a new matcher.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.knowledge.base import HowTo, KnowledgeBase
from bot.nlu.embeddings import embed

Embed = Callable[[Sequence[str]], np.ndarray]

# Tuned on the questions in tests/unit/knowledge/test_howto.py (written for tuning, never
# the held-out files), against the three starter entries: the right entry scored 0.92-0.97
# and led the runner-up by 0.025 or more; a question no entry covers scored up to 0.91 ("how
# do I move a deal to the next stage?" against creating one). Precision first: a doubtful
# match gets the help contact, never another task's steps. E5's similarities crowd near 1.
MIN_SIMILARITY = 0.915
# The best entry must beat the runner-up by this much, else the question is ambiguous.
MIN_MARGIN = 0.02


@dataclass(frozen=True)
class HowToMatch:
    howto_id: str
    similarity: float


class HowToMatcher:
    def __init__(self, howtos: Mapping[str, HowTo], embed_texts: Embed = embed) -> None:
        self._embed = embed_texts
        self._owners: list[str] = []
        questions: list[str] = []
        for howto_id, howto in sorted(howtos.items()):
            for text in howto.texts.values():
                questions.extend(text.questions)
                self._owners.extend([howto_id] * len(text.questions))
        self._questions = embed_texts(questions) if questions else np.zeros((0, 0), dtype=np.float32)

    def best(self, question: str) -> HowToMatch | None:
        """The entry the question asks for, or None when no entry is a clear, close match."""
        if not self._owners or not question.strip():
            return None
        similarities = self._questions @ self._embed([question])[0]
        per_entry: dict[str, float] = {}
        for owner, similarity in zip(self._owners, similarities.tolist(), strict=True):
            per_entry[owner] = max(similarity, per_entry.get(owner, -1.0))
        ranked = sorted(per_entry.items(), key=lambda item: item[1], reverse=True)
        best_id, best = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else -1.0
        if best < MIN_SIMILARITY or best - runner_up < MIN_MARGIN:
            return None
        return HowToMatch(best_id, round(best, 4))


class LiveHowToMatcher:
    """A matcher for the current knowledge base, rebuilt only when its how-to entries change."""

    def __init__(self, embed_texts: Embed = embed) -> None:
        self._embed = embed_texts
        self._for: Mapping[str, HowTo] | None = None
        self._matcher: HowToMatcher | None = None

    def best(self, kb: KnowledgeBase, question: str) -> HowToMatch | None:
        if self._matcher is None or self._for is not kb.howtos:
            self._matcher, self._for = HowToMatcher(kb.howtos, self._embed), kb.howtos
        return self._matcher.best(question)
