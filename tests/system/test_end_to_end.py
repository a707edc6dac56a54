"""The product as `make run` starts it: web chat channel -> NLU -> action server -> reply."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from bot.channels.webchat.channel import MAX_BODY, NO_REPLY
from bot.knowledge.base import load
from bot.run import rasa_server
from tests.conftest import ROOT
from tests.system.product import MODEL, TEAM_MEMBER, exported_rows, free_ports, port_in_use, require_model


def _post(url: str, body: bytes):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _body(sender: str, message: str, hint: str = "", **metadata) -> bytes:
    """What the page sends."""
    return json.dumps({"sender": sender, "message": message, "metadata": {"language_hint": hint, **metadata}}).encode()


class Chat:
    """The web chat's endpoint, as the page uses it."""

    def __init__(self, webhook: str) -> None:
        self.webhook = webhook

    def post(self, body: bytes):
        return _post(self.webhook, body)

    def say(self, sender: str, message: str, hint: str = "", **metadata):
        status, replies = self.post(_body(sender, message, hint, **metadata))
        assert status == 200, replies
        return replies


@pytest.fixture
def chat(product) -> Chat:
    return Chat(product.webchat_url + "webhook")


def test_the_dashboard_is_served_next_to_the_chat_and_asks_for_a_login(product):
    with urllib.request.urlopen(f"{product.dashboard_url}/", timeout=10) as response:
        assert response.url.endswith("/login?next=/?") and b"Log in" in response.read()
        assert "Werkzeug" not in response.headers.get("Server", ""), "served by waitress, not the development server"


@pytest.mark.parametrize("path", ["", "/"])
def test_the_web_chat_page_is_served_by_rasa_with_a_strict_policy(product, path):
    with urllib.request.urlopen(product.webchat_url.rstrip("/") + path, timeout=10) as response:
        assert b"CRM coach" in response.read()
        assert response.headers["Content-Type"].startswith("text/html")
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "message, intent, language, source_label",
    [
        ("non ho tempo per compilare il CRM", "objection_no_time", "it", "Fonte:"),
        ("mis clientes son míos", "objection_clients_are_mine", "es", "Fuente:"),
        ("this thing makes me feel stupid", "objection_feel_stupid", "en", "Source:"),
    ],
)
def test_an_objection_is_answered_in_its_language_with_source_and_follow_ups(
    chat, message, intent, language, source_label
):
    kb = load()
    sender = f"e2e-{uuid.uuid4()}"
    [answer] = chat.say(sender, message)
    assert answer["text"].split("\n\n")[0] in kb.entry(intent).answers[language].short
    assert source_label in answer["text"]
    assert [b["payload"] for b in answer["buttons"]] == [
        "/ask_more",
        "/ask_tip",
        "/feedback_helpful",
        "/feedback_not_helpful",
    ]
    [more] = chat.say(sender, "/ask_more")
    assert kb.entry(intent).answers[language].more in more["text"]


def test_off_topic_is_declined_honestly_with_the_topics(chat):
    # Rasa's REST channel sends each paragraph of a reply without buttons as its own message.
    replies = chat.say(f"e2e-{uuid.uuid4()}", "what's the weather like in Rome tomorrow?")
    text = "\n\n".join(r["text"] for r in replies)
    kb = load()
    assert text.startswith(kb.conversation["en"].texts["out_of_scope"][0])
    assert ".txt)" not in text
    assert all(topic in text for _, topic in kb.topics("en"))


@pytest.mark.parametrize("body", [b"", b"not json", b'{"message": "no sender"}', b'{"sender": "x"}', b'["x"]'])
def test_bad_requests_get_a_clear_error(chat, body):
    status, reply = chat.post(body)
    assert status == 400 and "error" in reply


def test_a_body_over_64_kb_is_refused_and_a_long_message_is_cut(chat):
    status, reply = chat.post(_body("e2e-long", "non ho tempo " * 5100))  # 66,300 bytes
    assert status == 413 and "too long" in reply["error"]
    # Under the limit: answered from its first 4,000 characters, cut before the redaction, which
    # would take tens of seconds over 63,000 characters without a space (and hold up every chat).
    message = "x" * 63_000
    assert len(_body("e2e-long", message)) < MAX_BODY
    started = time.monotonic()
    assert chat.say(f"e2e-{uuid.uuid4()}", message)
    assert time.monotonic() - started < 15


def _rows_of(env, user: str, expected: int) -> list:
    """The user's rows once there are `expected` of them (the log writer delivers every half second)."""
    deadline = time.monotonic() + 30
    while True:
        rows = [r for r in exported_rows(env) if r["user"] == user]
        if len(rows) == expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def _pseudonym(env, channel: str, account: str) -> str:
    from pathlib import Path

    from bot.privacy.pseudonyms import load_key, pseudonym

    return pseudonym(load_key(None, Path(env["COACH_VAR_DIR"]) / "secret.key"), channel, account)


def test_a_chat_in_three_languages_is_in_the_export_with_sentiment_and_a_pseudonym(chat, product_env):
    messages = [
        ("non ho tempo per il CRM, scrivimi a mario.rossi@example.it", "it"),
        ("gracias, ahora lo veo mucho más claro", "es"),
        ("I'm scared they will use the CRM data to fire me", "en"),
    ]
    for message, _ in messages:
        chat.say(TEAM_MEMBER, message, channel="telegram")  # a page cannot speak as another channel
    *_, offer = chat.say(TEAM_MEMBER, "/feedback_helpful")  # the first "that helped": the follow-ups' offer
    user = _pseudonym(product_env, "webchat", TEAM_MEMBER)
    rows = _rows_of(product_env, user, expected=9)
    said = [r for r in rows if r["direction"] == "user"]
    assert [r["language"] for r in said[:3]] == ["it", "es", "en"]
    assert [r["sentiment_label"] for r in said[:3]] == ["negative", "positive", "negative"]
    assert all(-1 <= r["sentiment_score"] <= 1 for r in said[:3])
    assert said[0]["text"] == "non ho tempo per il CRM, scrivimi a [email]"
    assert said[2]["intent"] == "objection_fear_of_control" and said[2]["confidence"] > 0.3
    assert {r["channel"] for r in rows} == {"webchat"} and {r["team"] for r in rows} == {"north"}
    replies = [r for r in rows if r["direction"] == "bot"]
    assert replies[0]["kb_entry"] == "objection_no_time" and replies[0]["language"] == "it"
    *_, rated = [r for r in replies if r["feedback"]]
    assert (rated["feedback"], rated["kb_entry"]) == ("helpful", "objection_fear_of_control")
    assert replies[-1]["text"] == offer["text"]  # the offer is a message the coach wrote, logged as one
    assert TEAM_MEMBER not in json.dumps(exported_rows(product_env)), "the account id must never reach the log"


def test_privacy_says_what_is_kept_and_forget_erases_the_log_and_the_conversation(chat, product_env):
    import sqlite3

    account = f"e2e-forget-{uuid.uuid4()}"
    [privacy] = chat.say(account, "/privacy")
    assert "180" in privacy["text"] and "/forget" in privacy["text"]
    [asked] = chat.say(account, "/forget")
    assert [b["payload"] for b in asked["buttons"]] == ["/affirm", "/deny"]
    user = _pseudonym(product_env, "webchat", account)
    assert len(_rows_of(product_env, user, expected=4)) == 4
    [done] = chat.say(account, "/affirm")
    assert done["text"] == load().conversation["en"].texts["forgotten"][0]
    assert _rows_of(product_env, user, expected=0) == []
    with sqlite3.connect(f"{product_env['COACH_VAR_DIR']}/tracker.db") as db:
        assert db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (user,)).fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] > 0, "other conversations stay"


def test_a_message_is_logged_even_when_the_action_server_is_down(tmp_path, product_env):
    """Rasa alone, its action server unreachable: no answer (the page shows why), but the message is in the log."""
    require_model()
    port, nothing_there = free_ports(2)
    env = {**product_env, "COACH_VAR_DIR": str(tmp_path), "ACTIONS_PORT": str(nothing_there)}
    rasa = subprocess.Popen(
        rasa_server("127.0.0.1", port, MODEL),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while not port_in_use(port):
            assert rasa.poll() is None and time.monotonic() < deadline, "Rasa did not start"
            time.sleep(1)
        rest = json.dumps({"sender": "lost-1", "message": "non ho tempo", "metadata": {"channel": "webchat"}}).encode()
        assert _post(f"http://127.0.0.1:{port}/webhooks/rest/webhook", rest) == (200, [])
        status, reply = _post(
            f"http://127.0.0.1:{port}/webhooks/webchat/webhook", _body("lost-1", "mis clientes son míos")
        )
        assert (status, reply) == (502, {"error": NO_REPLY})
        rows = _rows_of(env, _pseudonym(env, "webchat", "lost-1"), expected=2)
        assert [(r["direction"], r["intent"]) for r in rows] == [
            ("user", "objection_no_time"),
            ("user", "objection_clients_are_mine"),
        ]
    finally:
        rasa.send_signal(signal.SIGINT)
        rasa.wait(timeout=60)
