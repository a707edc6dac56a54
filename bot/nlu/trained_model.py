"""Shared plumbing for components that train a small scikit-learn model and keep it in the Rasa
model, as data files, never pickle (bot/nlu/model_files.py)."""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import model_files

logger = logging.getLogger(__name__)

# What these components saved before model_files: pickle, which is never read again.
PICKLED_MODEL_FILE = "model.joblib"


class TrainedModelComponent(GraphComponent):
    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Any | None = None,
    ) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TrainedModelComponent:
        return cls(config, model_storage, resource)

    @property
    def trained(self) -> Any:
        """The trained model; only components that were trained are asked for it."""
        if self.model is None:
            raise RuntimeError(f"{type(self).__name__} has no trained model")
        return self.model

    def train_and_persist(self, model: Any) -> Resource:
        self.model = model
        self.persist()
        return self._resource

    def annotate(self, message: Message) -> None:
        """Adds this component's output to one message (the model is trained)."""
        raise NotImplementedError

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is not None:
            for message in messages:
                self.annotate(message)
        return messages

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            model_files.save(self.model, directory)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TrainedModelComponent:
        try:
            with model_storage.read_from(resource) as directory:
                if (directory / PICKLED_MODEL_FILE).exists():
                    raise model_files.ModelFileError(
                        f"{cls.__name__}: this model was saved with pickle by an earlier version of the "
                        f"coach, which no longer reads pickle: train it again (make model)"
                    )
                model = model_files.load(directory)
        except model_files.ModelFileError:
            raise  # a model that is not ours is refused, not run without this component
        except (ValueError, FileNotFoundError):
            # A model trained without this component's data: run untrained rather than crash.
            logger.warning("%s has no trained model; it will add nothing to messages.", cls.__name__)
            model = None
        return cls(config, model_storage, resource, model)
