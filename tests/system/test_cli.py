"""`coach try` and `coach eval` on the trained model: the trainer's preview is what the bot says."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.knowledge.base import load
from tests.conftest import ROOT
from tests.system.product import require_model


def _coach(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_try_json_prints_one_object_per_message_read_as_one_conversation():
    require_model()
    result = _coach("try", "--json", "non ho tempo per compilare il CRM", "/ask_tip", "ok")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [set(line) for line in lines] == [
        {"text", "intent", "confidence", "language", "sentiment", "answer", "source", "buttons"}
    ] * 3
    objection, tip, short_reply = lines
    entry = load().entry("objection_no_time")
    assert objection["intent"] == "objection_no_time" and objection["language"] == "it"
    assert objection["answer"].startswith(entry.answers["it"].short[0]) and objection["source"] in objection["answer"]
    assert objection["sentiment"]["label"] in {"negative", "neutral", "positive"}
    assert entry.answers["it"].tip in tip["answer"]  # the button follows the conversation
    assert short_reply["language"] == "it"  # "ok" does not switch language


def test_try_without_a_model_says_what_to_do(tmp_path):
    result = _coach("try", "--models", str(tmp_path), "hello")
    assert result.returncode == 2
    assert "make model" in result.stderr and "Traceback" not in result.stderr
