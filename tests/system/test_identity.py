"""Identity that cannot be claimed, on the product as `make run` starts it: a client that is not
one of the coach's connectors cannot speak as a Telegram user (nor read or erase their
conversation), another site's page cannot post in a visitor's name, and a megabyte is
refused at once while the chat goes on."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path

import httpx
import pytest

from bot.channels import contract
from bot.privacy.pseudonyms import load_key, pseudonym
from bot.settings import load


def _key(env) -> bytes:
    return load_key(None, Path(env["COACH_VAR_DIR"]) / "secret.key")


def _events_of(env, user: str) -> int:
    with sqlite3.connect(f"{env['COACH_VAR_DIR']}/tracker.db") as db:
        return db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (user,)).fetchone()[0]


def _post(url: str, body: dict | bytes, headers: dict | None = None) -> httpx.Response:
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    return httpx.post(url, content=content, headers={"Content-Type": "application/json", **(headers or {})}, timeout=60)


def _as_connector(env, url: str, body: dict, now: float | None = None) -> httpx.Response:
    """What the Telegram connector's client sends (bot/channels/rasa_client.py), signed with the product's secret."""
    content = json.dumps(body).encode()
    return _post(url, content, contract.sign(contract.load_secret(load(env)), content, now))


def _telegram(account: str, message: str) -> dict:
    return {"sender": account, "message": message, "metadata": {"channel": "telegram"}}


@pytest.fixture
def telegram_user(product, product_env) -> str:
    """A Telegram user with a conversation, as the connector made it; their pseudonym."""
    account = str(uuid.uuid4().int % 10**10)
    response = _as_connector(product_env, product.rest_url, _telegram(account, "non ho tempo per il CRM"))
    assert response.status_code == 200 and response.json()
    user = pseudonym(_key(product_env), "telegram", account)
    assert _events_of(product_env, user) > 0, "a connector's user keeps the pseudonym of the channel and account"
    return account


def _forget(url: str, body: dict) -> None:
    """/forget, confirmed: erases the conversation of whoever the server takes the sender for."""
    for command in ("/forget", "/affirm"):
        response = _post(url, {**body, "message": command})
        assert response.status_code == 200 and response.json()


def test_a_client_that_claims_a_telegram_account_is_not_that_person(product, product_env, telegram_user):
    user = pseudonym(_key(product_env), "telegram", telegram_user)
    kept = _events_of(product_env, user)
    _forget(product.rest_url, _telegram(telegram_user, ""))
    _forget(product.rest_url, _telegram(user, ""))  # the person's pseudonym itself
    _forget(product.webchat_url + "webhook", {"sender": user})
    assert _events_of(product_env, user) == kept, "nobody but the person can erase the person's conversation"
    claimed = pseudonym(_key(product_env), "rest", telegram_user)
    assert _events_of(product_env, claimed) == 0, "the claimed account was a REST user, now forgotten"


@pytest.mark.parametrize("age", [600, -600])
def test_a_signature_replayed_after_five_minutes_is_refused(product, product_env, age):
    response = _as_connector(product_env, product.rest_url, _telegram("1001", "ciao"), now=time.time() - age)
    assert response.status_code == 401 and "5 minutes" in response.json()["error"]


def test_a_signed_request_replayed_within_five_minutes_is_refused(product, product_env, telegram_user):
    """A captured "/forget" sent again at once: the server has seen that signature already."""
    user = pseudonym(_key(product_env), "telegram", telegram_user)
    content = json.dumps(_telegram(telegram_user, "ok")).encode()
    headers = contract.sign(contract.load_secret(load(product_env)), content)
    assert _post(product.rest_url, content, headers).status_code == 200
    kept = _events_of(product_env, user)
    replayed = _post(product.rest_url, content, headers)
    assert replayed.status_code == 401 and "already received" in replayed.json()["error"]
    assert _events_of(product_env, user) == kept, "a replayed request reaches nobody"
    # The same text again, as the connector sends it (signed anew), in the same second: answered.
    for _ in range(2):
        response = _as_connector(product_env, product.rest_url, _telegram(telegram_user, "ok"))
        assert response.status_code == 200 and response.json()


def test_a_tampered_signed_request_is_refused(product, product_env):
    content = json.dumps(_telegram("1001", "ciao")).encode()
    headers = contract.sign(contract.load_secret(load(product_env)), content)
    response = _post(product.rest_url, content.replace(b"1001", b"1002"), headers)
    assert response.status_code == 401 and "error" in response.json()


def test_another_sites_page_cannot_post_to_either_door(product):
    body = {"sender": f"e2e-{uuid.uuid4()}", "message": "ciao"}
    for url in (product.rest_url, product.webchat_url + "webhook"):
        assert _post(url, body, {"Origin": "https://evil.example"}).status_code == 403
        # What a page may send another site without asking first: refused even from our own page.
        simple = {"Content-Type": "text/plain", "Origin": product.rasa_url}
        plain = httpx.post(url, content=json.dumps(body), headers=simple, timeout=60)
        assert plain.status_code == 415 and "application/json" in plain.json()["error"]
    rebound = _post(product.webchat_url + "webhook", body, {"Host": "evil.example", "Origin": "http://evil.example"})
    assert rebound.status_code == 403
    # The chat's own page, as a browser sends its messages.
    own = _post(product.webchat_url + "webhook", body, {"Origin": product.rasa_url})
    assert own.status_code == 200 and own.json()


@pytest.mark.parametrize("door", ["rest", "webchat"])
def test_a_megabyte_is_refused_at_once_and_the_chat_goes_on(product, door):
    url = product.rest_url if door == "rest" else product.webchat_url + "webhook"
    huge = json.dumps({"sender": f"e2e-{uuid.uuid4()}", "message": "non ho tempo " * 80_000}).encode()
    assert len(huge) > 1_000_000
    started = time.monotonic()
    response = _post(url, huge)
    assert response.status_code == 413 and "64 KB" in response.json()["error"]
    assert time.monotonic() - started < 1
    answered = _post(url, {"sender": f"e2e-{uuid.uuid4()}", "message": "non ho tempo per il CRM"})
    assert answered.status_code == 200 and answered.json()
