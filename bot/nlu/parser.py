"""A trained model as a function text -> parse result, shared by `coach try`, `coach eval`
and the guarded training (which evaluates a candidate before it replaces the model)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

Parse = Callable[..., dict[str, Any]]


class NoModelError(FileNotFoundError):
    pass


def quiet_libraries() -> None:
    """Results, not library chatter (TensorFlow, Rasa's structured debug log)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.ERROR)
    for name in ("rasa", "tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)


def latest_model(models: Path) -> Path:
    candidates = sorted(Path(models).glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not candidates:
        raise NoModelError(f"no trained model in {models}/: run `make model` (or `make run`) first.")
    return candidates[-1]


def load_parser(model: Path) -> Parse:
    """An NLU parser over the trained model: text (+ optional channel metadata) -> parse dict."""
    quiet_libraries()
    from rasa.core.agent import Agent
    from rasa.core.channels import UserMessage

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()

    def parse(text: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        message = UserMessage(text=text, metadata=metadata)
        assert agent.processor is not None  # Agent.load always builds one
        return loop.run_until_complete(agent.processor.parse_message(message))

    return parse
