"""Groups the messages the coach did not understand, so a trainer sees the most frequent first.

Character n-grams (as in the NLU pipeline) catch the same question asked with other
words, typos and inflections; each message joins the first group whose leader it
resembles closely enough, else starts a group. Good enough for a few thousand
messages, with nothing to train and no model to load in the dashboard.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

SIMILAR = 0.45
EXAMPLES = 5


def group(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """[{text, intent, language}] -> [{text, count, examples, languages, intents}], largest group first."""
    texts = [m["text"].strip() for m in messages]
    if not texts:
        return []
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True).fit_transform(texts)
    leaders: list[int] = []
    members: dict[int, list[int]] = {}
    for index in range(len(texts)):
        if leaders:
            similarity = cosine_similarity(vectors[index], vectors[leaders]).ravel()
            best = int(similarity.argmax())
            if similarity[best] >= SIMILAR:
                members[leaders[best]].append(index)
                continue
        leaders.append(index)
        members[index] = [index]
    groups = [_describe([messages[i] for i in indices]) for indices in members.values()]
    return sorted(groups, key=lambda g: (-g["count"], g["text"]))


def _describe(messages: list[dict[str, Any]]) -> dict[str, Any]:
    texts = Counter(m["text"].strip() for m in messages)
    return {
        "text": texts.most_common(1)[0][0],
        "count": len(messages),
        "examples": [text for text, _ in texts.most_common(EXAMPLES)],
        "languages": sorted({m["language"] for m in messages if m.get("language")}),
        "intents": sorted({m["intent"] for m in messages if m.get("intent")}),
    }
