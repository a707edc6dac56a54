"""The doors of the product as `make run` opens them: Rasa's HTTP API and the action server
answer only with their tokens, every server listens on 127.0.0.1, and the chat door stays open."""

from __future__ import annotations

import json
import socket
import stat
import urllib.error
import urllib.request
import uuid
import zlib
from pathlib import Path

from bot.rasa_plugins.patches import ACTIONS_TOKEN_HEADER, MAX_ACTION_CALL_BYTES
from bot.rasa_plugins.start import actions_token
from bot.settings import load
from tests.system.product import rasa_api_token

LISTENING = "0A"  # a socket's state in /proc/net/tcp


def _call(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def _listening_addresses(port: int) -> set[str]:
    """The addresses something listens on at `port`, from the kernel's socket tables."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == LISTENING and int(hex_port, 16) == port:
                packed = bytes.fromhex(address)
                if len(packed) == 4:
                    found.add(socket.inet_ntop(socket.AF_INET, packed[::-1]))
                else:  # four little-endian 32-bit words
                    words = b"".join(packed[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def test_rasa_http_api_answers_only_with_its_token(product, product_env):
    token = rasa_api_token(product_env)
    token_file = Path(product_env["COACH_VAR_DIR"]) / "rasa_api.token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    tracker = f"{product.rasa_url}/conversations/doors-{uuid.uuid4()}/tracker"
    assert _call(tracker)[0] == 401
    assert _call(f"{tracker}?token=a-guess")[0] == 401
    status, body = _call(f"{tracker}?token={token}")
    assert status == 200 and json.loads(body)["sender_id"].startswith("doors-")

    model = json.dumps({"model_file": "/tmp/planted.tar.gz"}).encode()
    json_type = {"Content-Type": "application/json"}
    assert _call(f"{product.rasa_url}/model", "PUT", model, json_type)[0] == 401
    assert _call(f"{product.rasa_url}/model?token=a-guess", "PUT", model, json_type)[0] == 401
    # With the token Rasa itself judges the request (test_learning_loop.py loads a real model this way).
    status, body = _call(f"{product.rasa_url}/model?token={token}", "PUT", b"", json_type)
    assert status == 400 and "model file" in body


def test_the_chat_door_needs_no_token(product):
    message = json.dumps({"sender": f"doors-{uuid.uuid4()}", "message": "non ho tempo per il CRM"}).encode()
    status, body = _call(product.rest_url, "POST", message, {"Content-Type": "application/json"})
    assert status == 200 and json.loads(body), "the action server answered Rasa, which sent its token"


def test_every_server_listens_on_loopback_only(product):
    for port in product.ports:
        assert _listening_addresses(port) == {"127.0.0.1"}, f"port {port}"


def test_the_action_server_answers_only_the_rasa_server(product, product_env):
    webhook = f"http://127.0.0.1:{product.actions_port}/webhook"
    call = json.dumps({"next_action": "action_coach_reply", "tracker": {"sender_id": "x"}}).encode()
    compressor = zlib.compressobj(9)
    bomb = b"".join(compressor.compress(bytes(1 << 20)) for _ in range(512)) + compressor.flush()
    deflate = {"Content-Encoding": "deflate"}
    secret = {ACTIONS_TOKEN_HEADER: actions_token(load(product_env))}

    assert _call(webhook, "POST", call)[0] == 401
    assert _call(f"http://127.0.0.1:{product.actions_port}/actions")[0] == 401
    assert _call(webhook, "POST", bomb, deflate)[0] == 401  # refused before anything is inflated
    status, body = _call(webhook, "POST", bomb, {**deflate, **secret})
    assert status == 413 and "inflate" in json.loads(body)["error"]
    assert _call(webhook, "POST", b"x" * (MAX_ACTION_CALL_BYTES + 1), secret)[0] == 413
    assert _call(f"http://127.0.0.1:{product.actions_port}/health")[0] == 200
