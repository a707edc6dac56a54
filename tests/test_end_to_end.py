"""The product as `make run` starts it: web chat -> REST channel -> NLU -> action server -> reply."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest

from bot.knowledge import load
from tests.conftest import ROOT

MODEL = ROOT / "models" / "coach.tar.gz"
PORTS = (5005, 5055, 8000)
CHAT = "http://127.0.0.1:8000"


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def product():
    if not MODEL.exists():
        pytest.skip("no trained model: `make test` trains it first (make model)")
    busy = [p for p in PORTS if _port_in_use(p)]
    if busy:
        pytest.skip(f"ports {busy} are in use (is `make run` running?)")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    process = subprocess.Popen([sys.executable, "-m", "bot.run"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 240
    for line in process.stdout:
        if "The CRM coach is running" in line:
            break
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the product did not start")
    yield process
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert not any(_port_in_use(p) for p in PORTS), "a component outlived Ctrl-C"


def _post(body: bytes):
    request = urllib.request.Request(f"{CHAT}/api/message", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _say(sender: str, message: str, hint: str = ""):
    status, replies = _post(json.dumps({"sender": sender, "message": message, "language_hint": hint}).encode())
    assert status == 200, replies
    return replies


def test_the_web_chat_page_is_served(product):
    with urllib.request.urlopen(f"{CHAT}/", timeout=10) as response:
        assert b"CRM coach" in response.read()


@pytest.mark.parametrize(
    "message, intent, language, source_label",
    [
        ("non ho tempo per compilare il CRM", "objection_no_time", "it", "Fonte:"),
        ("mis clientes son míos", "objection_clients_are_mine", "es", "Fuente:"),
        ("this thing makes me feel stupid", "objection_feel_stupid", "en", "Source:"),
    ],
)
def test_an_objection_is_answered_in_its_language_with_source_and_follow_ups(product, message, intent, language, source_label):
    kb = load()
    sender = f"e2e-{uuid.uuid4()}"
    [answer] = _say(sender, message)
    assert answer["text"].split("\n\n")[0] in kb.entry(intent).answers[language].short
    assert source_label in answer["text"]
    assert [b["payload"] for b in answer["buttons"]] == ["/ask_more", "/ask_tip", "/feedback_helpful", "/feedback_not_helpful"]
    [more] = _say(sender, "/ask_more")
    assert kb.entry(intent).answers[language].more in more["text"]


def test_off_topic_is_declined_honestly_with_the_topics(product):
    # Rasa's REST channel sends each paragraph of a reply without buttons as its own message.
    replies = _say(f"e2e-{uuid.uuid4()}", "what's the weather like in Rome tomorrow?")
    text = "\n\n".join(r["text"] for r in replies)
    kb = load()
    assert text.startswith(kb.conversation["en"].texts["out_of_scope"][0])
    assert ".txt)" not in text
    assert all(topic in text for _, topic in kb.topics("en"))


@pytest.mark.parametrize("body", [b"", b"not json", b'{"message": "no sender"}', b'{"sender": "x"}'])
def test_bad_requests_get_a_clear_error(product, body):
    status, reply = _post(body)
    assert status == 400 and "error" in reply
