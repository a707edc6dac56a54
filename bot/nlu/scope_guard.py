"""A second line of defence against coaching an off-topic message.

The intent classifier must pick one of the intents it knows, and a general-assistant
request ("can you sell stocks for me") may land on an objection with a fair confidence.
This component does not trust that confidence alone: it measures how close the message
is, in the E5 embedding space, to the training examples of the intent the classifier
chose, and re-labels it `out_of_scope` when
- it is farther from every example of that intent than the intent's own examples usually
  are from each other (each intent's threshold: a quantile of its examples' leave-one-out
  nearest-neighbour similarity), or
- an out-of-scope training example is nearer to it than any example of that intent, by more
  than a margin ("book a table for a client dinner" is nearer to the restaurant requests than
  to anything a salesperson says about the CRM, whatever word it shares with them).

The quantile and the margin were chosen on a development split of the training files (80/20,
stratified by intent and language; README, "How well it understands"); the held-out files
never set anything. The embeddings are stored with numpy's own format, without pickle.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.e5_featurizer import E5_ORIGIN
from bot.nlu.language import is_payload
from bot.nlu.sentence_featurizer import sentence_embedding

OUT_OF_SCOPE = "out_of_scope"
EMBEDDINGS_FILE = "examples.npy"
INDEX_FILE = "index.json"


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def leave_one_out_similarity(vectors: np.ndarray) -> np.ndarray:
    """For each row, the cosine similarity of its nearest other row (rows are unit vectors)."""
    similarities = vectors @ vectors.T
    np.fill_diagonal(similarities, -1.0)
    return similarities.max(axis=1)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ScopeGuard(GraphComponent):
    """Re-labels as `out_of_scope` a message far from every training example of its predicted intent."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Which share of an intent's own examples may fall below its threshold: the
            # threshold is this quantile of their leave-one-out nearest-neighbour similarity.
            "quantile": 0.02,
            # How much nearer (cosine similarity) the nearest out-of-scope example may be than the
            # chosen intent's nearest example before the message is out of scope; null: no such check.
            "out_of_scope_margin": None,
            # Intents the guard never overrides (conversation basics are short and varied).
            "exempt_intents": [
                OUT_OF_SCOPE,
                "greet",
                "goodbye",
                "thanks",
                "affirm",
                "deny",
                "ask_more",
                "ask_tip",
                "feedback_helpful",
                "feedback_not_helpful",
                "set_language",
                "bot_challenge",
                "ask_help",
            ],
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not 0.0 <= float(config["quantile"]) < 0.5:
            raise ValueError(f"ScopeGuard: quantile must be in [0, 0.5), not {config['quantile']!r}")
        margin = config.get("out_of_scope_margin")
        if margin is not None and not 0.0 <= float(margin) < 2.0:
            raise ValueError(f"ScopeGuard: out_of_scope_margin must be in [0, 2) or null, not {margin!r}")

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        examples: dict[str, np.ndarray] | None = None,
        thresholds: dict[str, float] | None = None,
    ) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.examples = examples or {}
        self.thresholds = thresholds or {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ScopeGuard:
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        by_intent: dict[str, list[np.ndarray]] = {}
        # The guarded intents' examples, and the out-of-scope ones the margin compares with.
        skipped = set(self.config["exempt_intents"]) - {OUT_OF_SCOPE}
        for message in training_data.intent_examples:
            vector = sentence_embedding(message, E5_ORIGIN)
            if vector is not None and message.get(INTENT) not in skipped:
                by_intent.setdefault(message.get(INTENT), []).append(vector)
        self.examples = {intent: _unit_rows(np.vstack(rows)) for intent, rows in by_intent.items() if len(rows) > 1}
        self.thresholds = {
            intent: float(np.quantile(leave_one_out_similarity(rows), self.config["quantile"]))
            for intent, rows in self.examples.items()
            if intent != OUT_OF_SCOPE
        }
        self.persist()
        return self._resource

    def nearest_similarity(self, intent: str, vector: np.ndarray) -> float:
        unit = vector / (np.linalg.norm(vector) or 1.0)
        return float((self.examples[intent] @ unit).max())

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._guard(message)
        return messages

    def _guard(self, message: Message) -> None:
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        vector = sentence_embedding(message, E5_ORIGIN)
        if intent not in self.thresholds or vector is None or is_payload(message.get(TEXT) or ""):
            return
        similarity = self.nearest_similarity(intent, vector)
        verdict = {"overridden": intent, "similarity": round(similarity, 4)}
        margin = self.config.get("out_of_scope_margin")
        nearer_off_topic = False
        if margin is not None and OUT_OF_SCOPE in self.examples:
            off_topic = self.nearest_similarity(OUT_OF_SCOPE, vector)
            verdict["out_of_scope_similarity"] = round(off_topic, 4)
            nearer_off_topic = off_topic - similarity > float(margin)
        if similarity >= self.thresholds[intent] and not nearer_off_topic:
            return
        confidence = (message.get(INTENT) or {}).get(PREDICTED_CONFIDENCE_KEY, 0.0)
        message.set(INTENT, {INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: confidence}, add_to_output=True)
        message.set("scope_guard", verdict, add_to_output=True)

    def persist(self) -> None:
        intents = sorted(self.examples)
        with self._model_storage.write_to(self._resource) as directory:
            stacked = np.vstack([self.examples[i] for i in intents]) if intents else np.zeros((0, 0), np.float32)
            np.save(directory / EMBEDDINGS_FILE, stacked.astype(np.float32), allow_pickle=False)
            index = {
                "intents": intents,
                "counts": [len(self.examples[i]) for i in intents],
                "thresholds": self.thresholds,
            }
            (directory / INDEX_FILE).write_text(json.dumps(index), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ScopeGuard:
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                stacked = np.load(directory / EMBEDDINGS_FILE, allow_pickle=False)
                index = json.loads((directory / INDEX_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        bounds = np.cumsum([0, *index["counts"]])
        examples = {intent: stacked[bounds[n] : bounds[n + 1]] for n, intent in enumerate(index["intents"])}
        return cls(config, model_storage, resource, examples, index["thresholds"])
