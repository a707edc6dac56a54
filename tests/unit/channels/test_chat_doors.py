"""Both chat doors over HTTP, on a Sanic server of their own as Rasa mounts them: who may claim
which identity, which pages may post, and how much. The coach behind them records what the
door hands over and answers "ok" (the product's own tests, tests/system/test_identity.py, run
the same against Rasa)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
import uuid

import httpx
import pytest
from sanic import Sanic
from sqlalchemy import event

from bot.channels import contract
from bot.channels.contract import MAX_MESSAGE_CHARS
from bot.channels.rasa_client import CoachClient
from bot.channels.webchat.channel import NO_REPLY, WebChatInput
from bot.privacy.pseudonyms import is_pseudonym, pseudonym
from bot.rasa_plugins import rest_channel
from bot.rasa_plugins.rest_channel import (
    BAD_REQUEST,
    MAX_BODY,
    NOT_JSON,
    WRONG_HOST,
    WRONG_ORIGIN,
    PrivateRestInput,
    json_object,
)
from bot.settings import SettingsError, load

SILENT = "say nothing"  # the recording coach leaves this message unanswered
JSON = {"Content-Type": "application/json"}


class Doors:
    """The REST channel and the web chat on one Sanic server in a thread, as Rasa serves them."""

    def __init__(self, var, database_url: str = "") -> None:
        self.var = var
        environ = {
            "COACH_VAR_DIR": str(var),
            "COACH_SECRET_KEY": "pseudonym key",
            "COACH_TEAMS_FILE": str(var / "teams.yml"),
            "COACH_ALLOWED_ORIGINS": "https://portal.example.com",
            "DATABASE_URL": database_url,  # empty: SQLite files in var/
        }
        self.rest, self.webchat = PrivateRestInput(load(environ)), WebChatInput(load(environ))
        self.key = self.rest.key
        self.received: list = []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/webhooks"
        app = Sanic(f"doors_{uuid.uuid4().hex}")
        for channel in (self.rest, self.webchat):
            app.blueprint(channel.blueprint(self._coach), url_prefix=f"/webhooks/{channel.url_prefix()}")
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        threading.Thread(target=self._serve, args=(app, started), daemon=True).start()
        assert started.wait(30), "the doors did not open"

    async def _coach(self, message) -> None:
        self.received.append(message)
        if message.text != SILENT:
            await message.output_channel.send_text_message(message.sender_id, "ok")

    def _serve(self, app: Sanic, started: threading.Event) -> None:
        self.loop_thread = threading.get_ident()
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            app.create_server(host="127.0.0.1", port=self.port, return_asyncio_server=True)
        )
        assert server is not None
        self.loop.run_until_complete(server.startup())
        self.loop.run_until_complete(server.after_start())
        self.server = server
        started.set()
        self.loop.run_forever()
        self.loop.run_until_complete(server.close())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)

    def post(self, door: str, body, headers=None) -> httpx.Response:
        content = json.dumps(body).encode() if isinstance(body, dict) else body
        return httpx.post(
            f"{self.url}/{door}/webhook", content=content, headers=JSON if headers is None else headers, timeout=30
        )

    def last(self):
        return self.received[-1]


def _open(var, database_url: str = "") -> Doors:
    # Sanic rewrites some of its own methods when a server starts; in test mode it keeps the
    # originals, so that the servers other tests start in this process rewrite them again.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Sanic, "test_mode", True)
        return Doors(var, database_url)


@pytest.fixture(scope="module")
def doors(tmp_path_factory):
    opened = _open(tmp_path_factory.mktemp("var"))
    yield opened
    opened.close()


@pytest.fixture
def replicas(tmp_path, database_url):
    """Two Rasa servers' doors on one database, with one connectors' secret: replicas behind a load balancer."""
    opened = [_open(tmp_path, database_url) for _ in range(2)]
    yield opened
    for replica in opened:
        replica.close()


@pytest.fixture
def connector(doors, monkeypatch):
    """A connector's client as `make run` starts it: same var/ folder, so the same secret file."""
    monkeypatch.setenv("COACH_VAR_DIR", str(doors.var))
    monkeypatch.setenv("COACH_CONNECTOR_SECRET", "")  # a developer's .env does not fill it in
    return CoachClient(f"{doors.url}/rest/webhook", "telegram")


def signed(secret: bytes, body: dict, now: float | None = None) -> tuple[bytes, dict]:
    content = json.dumps(body).encode()
    return content, {**JSON, **contract.sign(secret, content, now)}


DEEP = b"[" * 20_000 + b"]" * 20_000  # valid JSON, nested past Python's recursion limit
TELEGRAM_42 = {"sender": "42", "message": "ciao", "metadata": {"channel": "telegram"}}


def test_a_connector_signs_and_keeps_the_pseudonym_its_users_always_had(doors, connector):
    [reply] = connector.ask_blocking("42", "non ho tempo", "it-IT")
    assert reply.text == "ok"
    message = doors.last()
    assert (message.sender_id, message.input_channel) == (pseudonym(doors.key, "telegram", "42"), "telegram")
    assert message.metadata == {"language_hint": "it"}


def test_a_connectors_longest_message_is_read_not_refused(doors, connector):
    [reply] = connector.ask_blocking("42", "😡" * 40_000)  # Slack's longest message, 12 bytes a character in JSON
    assert reply.text == "ok" and doors.last().text == "😡" * MAX_MESSAGE_CHARS


@pytest.mark.parametrize("text", ["", "   "])
def test_a_bare_mention_reaches_the_coach_as_a_greeting(doors, connector, text):
    [reply] = connector.ask_blocking("42", text)
    assert reply.text == "ok" and doors.last().text == "/greet"


def test_the_connectors_secret_is_generated_once_for_owner_only(doors, connector):
    secret_file = doors.var / "connector.secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert connector.secret == doors.rest.connector_secret == secret_file.read_bytes().strip()


def test_without_a_signature_a_claimed_telegram_account_is_someone_else(doors):
    response = doors.post("rest", {**TELEGRAM_42, "message": "/forget"})
    assert response.status_code == 200
    message = doors.last()
    assert message.input_channel == "rest" and message.sender_id != pseudonym(doors.key, "telegram", "42")


def test_a_ready_made_pseudonym_is_not_taken_from_a_client(doors):
    someone = pseudonym(doors.key, "telegram", "42")
    for door in ("rest", "webchat"):
        assert doors.post(door, {"sender": someone, "message": "/forget"}).status_code == 200
        assert is_pseudonym(doors.last().sender_id) and doors.last().sender_id != someone


@pytest.mark.parametrize("age", [-310, 310, 3600])  # clear of the second the timestamp is cut to
def test_a_signature_out_of_its_five_minutes_is_refused(doors, age):
    before = len(doors.received)
    content, headers = signed(doors.rest.connector_secret, TELEGRAM_42, time.time() - age)
    response = doors.post("rest", content, headers)
    assert response.status_code == 401 and "5 minutes" in response.json()["error"]
    assert len(doors.received) == before, "a refused message reaches nobody"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda content, headers: (content.replace(b"42", b"43"), headers),  # another account, same signature
        lambda content, headers: (content, {**headers, contract.SIGNATURE: "0" * 64}),
        lambda content, headers: (content, {k: v for k, v in headers.items() if k != contract.TIMESTAMP}),
        lambda content, headers: (content, {**headers, contract.TIMESTAMP: "yesterday"}),
        lambda content, headers: (content, {**headers, contract.SIGNATURE: "é".encode("latin-1") * 64}),
    ],
)
def test_a_signature_that_does_not_hold_is_refused(doors, tamper):
    before = len(doors.received)
    content, headers = tamper(*signed(doors.rest.connector_secret, TELEGRAM_42))
    response = doors.post("rest", content, headers)
    assert response.status_code == 401 and "connectors" in response.json()["error"]
    assert len(doors.received) == before


def test_another_secret_signs_nothing(doors):
    content, headers = signed(b"a guess", TELEGRAM_42)
    assert doors.post("rest", content, headers).status_code == 401


def test_the_web_chat_is_the_web_chat_whoever_signs(doors):
    content, headers = signed(doors.rest.connector_secret, TELEGRAM_42)
    assert doors.post("webchat", content, headers).status_code == 200
    assert (doors.last().input_channel, doors.last().sender_id) == ("webchat", pseudonym(doors.key, "webchat", "42"))


def _answer_before_the_end(doors: Doors, door: str, framing: bytes, sent: bytes) -> bytes:
    """The door's answer to a request whose body is never finished: a door that read to the end
    would wait for it (the socket's timeout only guards against that hang)."""
    head = f"POST /webhooks/{door}/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    with socket.create_connection(("127.0.0.1", doors.port), timeout=30) as connection:
        connection.sendall(head.encode() + framing + b"\r\n" + sent)
        answer = b""
        while b"\r\n\r\n" not in answer and (part := connection.recv(65536)):
            answer += part
    return answer


@pytest.mark.parametrize("door", ["rest", "webchat"])
def test_a_megabyte_is_refused_unread_and_the_next_message_is_answered(doors, door, monkeypatch):
    parsed: list[int] = []  # the length of every body the door parsed
    monkeypatch.setattr(rest_channel, "json_object", lambda body: parsed.append(len(body)) or json_object(body))
    before = len(doors.received)
    for content in (b"x" * 1_000_000, iter([b"x" * 100_000] * 10)):  # with a length, and chunked without one
        response = doors.post(door, content)
        assert response.status_code == 413 and "64 KB" in response.json()["error"]
    # Refused on the declared length before a byte of the body, and a chunked body past the
    # limit, though neither was ever finished.
    for framing, sent in [
        (b"Content-Length: 1000000\r\n", b""),
        (b"Transfer-Encoding: chunked\r\n", b"%x\r\n%s\r\n" % (MAX_BODY + 1, b"x" * (MAX_BODY + 1))),
    ]:
        assert _answer_before_the_end(doors, door, framing, sent).startswith(b"HTTP/1.1 413")
    assert parsed == [] and len(doors.received) == before
    assert doors.post(door, {"sender": "web-1", "message": "ciao"}).json()[0]["text"] == "ok"
    assert len(parsed) == 1  # the spy sees what the door parses


@pytest.mark.parametrize("door", ["rest", "webchat"])
def test_a_body_just_under_the_limit_is_read(doors, door):
    message = "x" * (MAX_BODY - 100)
    assert len(json.dumps({"sender": "web-1", "message": message})) < MAX_BODY
    assert doors.post(door, {"sender": "web-1", "message": message}).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_browser_must_say_json_so_a_cross_site_simple_post_is_refused(doors, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    own_page = {**headers, "Origin": f"http://127.0.0.1:{doors.port}"}
    for door, sent in [("webchat", headers), ("webchat", own_page), ("rest", own_page)]:
        response = doors.post(door, {"sender": "web-1", "message": "ciao"}, sent)
        assert response.status_code == 415 and response.json()["error"] == NOT_JSON
    # A program without an Origin is no browser: the REST channel reads its JSON whatever it calls it.
    assert doors.post("rest", {"sender": "bench-1", "message": "ciao"}, headers).status_code == 200


@pytest.mark.parametrize("door", ["rest", "webchat"])
def test_another_sites_page_cannot_post_in_a_visitors_name(doors, door):
    for origin, status in [
        ("https://evil.example", 403),
        ("null", 403),
        (f"http://127.0.0.1:{doors.port}", 200),  # the chat's own page
        ("https://portal.example.com", 200),  # COACH_ALLOWED_ORIGINS
    ]:
        response = doors.post(door, {"sender": "web-1", "message": "ciao"}, {**JSON, "Origin": origin})
        assert response.status_code == status, origin
        if status == 403:
            assert response.json()["error"] == WRONG_ORIGIN


def test_the_web_chat_answers_only_to_our_host_names(doors):
    body = {"sender": "web-1", "message": "ciao"}
    for host, status in [("evil.example", 403), ("localhost", 200), (f"127.0.0.1:{doors.port}", 200)]:
        response = doors.post("webchat", body, {**JSON, "Host": host})
        assert response.status_code == status, host
    assert doors.post("webchat", body, {**JSON, "Host": "evil.example"}).json()["error"] == WRONG_HOST
    # A program posting to the REST channel under another name (a container's, a proxy's) is no browser.
    assert doors.post("rest", body, {**JSON, "Host": "rasa:5005"}).status_code == 200


@pytest.mark.parametrize("door", ["rest", "webchat"])
def test_a_door_wants_a_json_object_with_a_sender_and_a_message(doors, door):
    before = len(doors.received)
    for body in (
        b"{broken",
        b'["a", "list"]',
        b"null",
        b"\xff",
        DEEP,
        b'{"sender": "x"}',
        b'{"sender": "x", "message": null}',
        b'{"sender": "x", "message": 42}',
        b'{"sender": {"id": 1}, "message": "hi"}',
        b'{"sender": "x", "message": " "}',
    ):
        response = doors.post(door, body)
        assert (response.status_code, response.json()) == (400, {"error": BAD_REQUEST}), body[:40]
    assert len(doors.received) == before
    odd_metadata = {"sender": "x", "message": "ciao", "metadata": "nonsense"}
    assert doors.post(door, odd_metadata).json() == [{"recipient_id": doors.last().sender_id, "text": "ok"}]


def test_the_web_chat_says_when_there_is_no_reply(doors):
    response = doors.post("webchat", {"sender": "web-1", "message": SILENT})
    assert (response.status_code, response.json()) == (502, {"error": NO_REPLY})
    assert doors.last().text == SILENT, "unanswered, but received (and so logged)"
    assert doors.post("rest", {"sender": "web-1", "message": SILENT}).json() == [], "as Rasa's REST channel"


def test_the_page_is_served_and_the_rest_channel_says_it_is_up(doors):
    page = httpx.get(f"{doors.url}/webchat/")
    assert page.status_code == 200 and "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert httpx.get(f"{doors.url}/rest/").json() == {"status": "ok"}


def test_allowed_origins_and_hosts_come_from_the_settings():
    current = load({"COACH_HOST": "10.0.0.5", "COACH_ALLOWED_HOSTS": "Coach.Example.com, intranet"})
    assert current.chat_hosts == {"127.0.0.1", "localhost", "::1", "10.0.0.5", "coach.example.com", "intranet"}
    assert "0.0.0.0" not in load({"COACH_HOST": "0.0.0.0"}).chat_hosts, "every interface is no host name"
    origins = load({"COACH_ALLOWED_ORIGINS": "https://Portal.example.com/, http://10.0.0.5:8080"}).chat_origins
    assert origins == {"https://portal.example.com", "http://10.0.0.5:8080"}
    for wrong in ("portal.example.com", "https://portal.example.com/chat", "ftp://x"):
        with pytest.raises(SettingsError, match="COACH_ALLOWED_ORIGINS"):
            load({"COACH_ALLOWED_ORIGINS": wrong})


def test_the_secret_comes_from_the_environment_when_set(tmp_path):
    current = load({"COACH_VAR_DIR": str(tmp_path), "COACH_CONNECTOR_SECRET": "from the vault"})
    assert contract.load_secret(current) == b"from the vault"
    assert not os.path.exists(tmp_path / "connector.secret")


def test_a_signed_request_is_accepted_once(doors):
    content, headers = signed(doors.rest.connector_secret, {**TELEGRAM_42, "message": "/forget"})
    assert doors.post("rest", content, headers).status_code == 200
    before = len(doors.received)
    response = doors.post("rest", content, headers)
    assert response.status_code == 401 and "already received" in response.json()["error"]
    assert len(doors.received) == before, "a replayed /forget erases nothing"


def test_the_used_signature_is_written_in_a_worker_thread_not_on_the_event_loop(doors):
    threads: list[int] = []

    def note(*args) -> None:
        threads.append(threading.get_ident())

    event.listen(doors.rest.used_signatures.engine, "before_cursor_execute", note)
    try:
        assert doors.post("rest", *signed(doors.rest.connector_secret, TELEGRAM_42)).status_code == 200
    finally:
        event.remove(doors.rest.used_signatures.engine, "before_cursor_execute", note)
    assert threads and doors.loop_thread not in threads


def test_a_signed_request_accepted_by_one_replica_is_refused_by_another(replicas):
    first, second = replicas
    content, headers = signed(first.rest.connector_secret, {**TELEGRAM_42, "message": "/forget"})
    assert first.post("rest", content, headers).status_code == 200
    response = second.post("rest", content, headers)
    assert response.status_code == 401 and "already received" in response.json()["error"]
    assert second.received == [], "replayed at another replica, a /forget still erases nothing"
    content, headers = signed(first.rest.connector_secret, TELEGRAM_42)
    assert second.post("rest", content, headers).status_code == 200, "a new signature passes at either"


def test_while_the_database_is_unreachable_signed_requests_are_answered_and_a_copy_is_refused(tmp_path):
    doors = _open(tmp_path, "postgresql://coach@127.0.0.1:9/nowhere")
    try:
        content, headers = signed(doors.rest.connector_secret, TELEGRAM_42)
        assert doors.post("rest", content, headers).status_code == 200
        replayed = doors.post("rest", content, headers)
        assert replayed.status_code == 401 and "already received" in replayed.json()["error"]
        assert [m.text for m in doors.received] == [TELEGRAM_42["message"]]
        assert doors.post("rest", {"sender": "web-1", "message": "ciao"}).status_code == 200
    finally:
        doors.close()


def test_messages_signed_in_the_same_second_all_pass_the_same_text_too(doors):
    now = time.time()
    before = len(doors.received)
    for text in ("ok", "ok", "grazie"):
        content, headers = signed(doors.rest.connector_secret, {**TELEGRAM_42, "message": text}, now)
        assert doors.post("rest", content, headers).status_code == 200
    assert [m.text for m in doors.received[before:]] == ["ok", "ok", "grazie"]


def test_a_connector_sending_the_same_message_again_signs_it_again(doors, connector):
    answers = [connector.ask_blocking("42", "non ho tempo") for _ in range(3)]
    assert answers == [answers[0]] * 3 and answers[0][0].text == "ok"
    first, second = (connector._request("42", "non ho tempo", None)["headers"] for _ in range(2))
    assert first[contract.SIGNATURE] != second[contract.SIGNATURE] and first[contract.NONCE] != second[contract.NONCE]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda headers: {k: v for k, v in headers.items() if k != contract.NONCE},
        lambda headers: {**headers, contract.NONCE: "0" * 32},  # another nonce, same signature
        lambda headers: {**headers, contract.NONCE: "x" * 100},
    ],
)
def test_a_nonce_that_does_not_hold_is_refused_and_not_remembered(doors, tamper):
    content, headers = signed(doors.rest.connector_secret, TELEGRAM_42)
    remembered = doors.rest.used_signatures.count()
    response = doors.post("rest", content, tamper(headers))
    assert response.status_code == 401 and "connectors sign" in response.json()["error"]
    assert doors.rest.used_signatures.count() == remembered, "only a signature that holds is written down"
    assert doors.post("rest", content, headers).status_code == 200, "the genuine request still passes, once"
