"""The tuned action calls: Rasa's verdicts on action replies, kept-alive connections, and one
retry of a call whose connection broke, against a real HTTP server on 127.0.0.1."""

import asyncio
import contextlib
import json
import logging
import socket
import sys
import tracemalloc
import uuid
import warnings
import zlib

import aiohttp
import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.common import _filter_warnings
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Action
from rasa_sdk.endpoint import create_app
from sanic import Sanic

from bot.rasa_plugins import patches as rasa_tuning
from bot.rasa_plugins.patches import ACTIONS_TOKEN_HEADER, MAX_ACTION_CALL_BYTES, RASA_VERSION
from tests.conftest import ROOT

VALID = {"events": [{"event": "slot", "name": "language", "value": "it"}], "responses": [{"text": "ciao"}]}
# Replies both validators must accept: the coach's own shape, and Rasa's other event kinds.
ALSO_VALID = [
    {},
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "timestamp": None, "name": "last_objection", "value": "objection_no_time"},
            {
                "event": "bot",
                "timestamp": 1.5,
                "text": "Tre minuti.",
                "metadata": {"source": "003"},
                "data": {"buttons": [{"title": "Di più", "payload": "/ask_more"}], "custom": {"variant": "a1"}},
            },
            {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
            {
                "event": "user",
                "text": "ciao",
                "parse_data": {
                    "intent": {"name": "greet", "confidence": 0.9},
                    "entities": [{"entity": "crm", "value": "HubSpot", "start": 0, "end": 7}],
                    "response_selector": {"all_retrieval_intents": []},
                },
            },
            {"event": "followup", "name": "action_coach_reply"},
            {"event": "reset_slots"},
        ],
        "responses": [{"text": "Tre minuti.", "buttons": [{"title": "Di più", "payload": "/ask_more"}]}],
    },
]
INVALID = [
    {"events": "not a list"},
    {"responses": [42]},
    {"events": [{"event": "slot", "timestamp": "yesterday"}]},
    {"events": [{"name": "language", "value": "it"}]},  # no `event`
    {"events": [{"event": "slot", "name": "language"}]},  # a slot without its value
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"value": "x"}]}}]},
    {"events": [{"event": "bot", "metadata": "not an object"}]},
    {"events": [{"event": "entities", "entities": [{"entity": "crm", "value": 1, "start": "zero"}]}]},
]


@pytest.fixture
def tuned():
    rasa_tuning.apply()
    yield RemoteAction("action_coach_reply", None)
    rasa_tuning.undo()


def test_valid_results_pass_and_invalid_ones_fail_as_with_jsonschema_validate(tuned):
    for result in (VALID, *ALSO_VALID):
        validate(result, RemoteAction.action_response_format_spec())
        assert tuned._validate_action_result(result) is True
    for result in INVALID:
        with pytest.raises(ValidationError) as ours:
            tuned._validate_action_result(result)
        with pytest.raises(ValidationError) as reference:
            validate(result, RemoteAction.action_response_format_spec())
        assert ours.value.message.startswith(reference.value.message)
        assert "Failed to validate Action server response" in ours.value.message


DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def _warned_payload(text: str) -> list[str]:
    """What Rasa's server warns, its warning filters set up as `rasa run` sets them, on a payload."""
    with warnings.catch_warnings(record=True) as seen:
        _filter_warnings(log_level=logging.INFO)
        YAMLStoryReader.unpack_regex_message(Message(data={TEXT: text}), domain=DOMAIN)
    return [str(warning.message) for warning in seen]


def test_a_payload_with_unknown_entities_leaves_no_text_in_the_server_log():
    payload = '/ask_tip{{"note": "Mario Rossi {}"}}'
    rasa_tuning.undo()  # Rasa as it comes, whatever ran before in this process
    try:
        assert any("Mario Rossi" in said for said in _warned_payload(payload.format(uuid.uuid4())))
        rasa_tuning.apply()
        assert not any("Mario Rossi" in said for said in _warned_payload(payload.format(uuid.uuid4())))
    finally:
        rasa_tuning.undo()
    assert any("Mario Rossi" in said for said in _warned_payload(payload.format(uuid.uuid4())))


def test_event_classes_are_found_as_rasa_finds_them(tuned):
    for _ in range(2):  # the second lookup comes from what the first remembered
        assert Event.resolve_by_type("user") is UserUttered
        assert Event.resolve_by_type("slot") is SlotSet
        assert Event.resolve_by_type("topic") is None
        assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
        with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
            Event.resolve_by_type("no_such_event")
    stored = [
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("ciao", {"name": "greet"}),
        BotUttered("ciao!"),
        SlotSet("language", "it"),
    ]
    tracker = DialogueStateTracker.from_dict("someone", [e.as_dict() for e in stored])
    assert list(tracker.events) == stored


class ActionServer:
    """Minimal HTTP/1.1 action server: answers VALID and counts connections and requests; the
    first `drop` requests get their connection closed instead of a reply."""

    def __init__(self, drop: int = 0) -> None:
        self.drop = drop
        self.connections = 0
        self.requests: list[dict] = []

    async def __aenter__(self) -> "ActionServer":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/webhook"
        return self

    async def __aexit__(self, *exc_info) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                self.requests.append(json.loads(await reader.readexactly(length)))
                if len(self.requests) <= self.drop:
                    return
                body = json.dumps(VALID).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


async def _run_action(url: str) -> list:
    action = RemoteAction("action_coach_reply", EndpointConfig(url))
    tracker = DialogueStateTracker("someone", slots=[])
    return await action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), tracker, Domain.empty())


def _calls(server: ActionServer, count: int, pause: float = 0.0) -> list:
    async def scenario():
        async with server:
            results = []
            for _ in range(count):
                results.append(await _run_action(server.url))
                await asyncio.sleep(pause)
            await rasa_tuning.close_action_server_connections()
            return results

    return asyncio.run(scenario())


def _assert_answered(events: list) -> None:
    assert isinstance(events[0], BotUttered) and events[0].text == "ciao"
    assert events[1] == SlotSet("language", "it")


def test_action_calls_share_one_kept_alive_connection(tuned):
    server = ActionServer()
    results = _calls(server, 5)
    for events in results:
        _assert_answered(events)
    assert len(server.requests) == 5
    assert server.connections == 1


def test_a_connection_idle_past_the_keep_alive_window_is_not_reused(tuned):
    server = ActionServer()
    _calls(server, 2, pause=rasa_tuning.IDLE_CONNECTION_SECONDS + 0.5)
    assert server.connections == 2


def test_a_call_whose_connection_breaks_before_the_reply_is_retried_once(tuned):
    server = ActionServer(drop=1)
    (events,) = _calls(server, 1)
    _assert_answered(events)
    assert len(server.requests) == 2
    assert server.requests[0] == server.requests[1]


def test_a_call_is_retried_only_once_then_fails_with_rasas_message(tuned):
    server = ActionServer(drop=2)
    with pytest.raises(RasaException, match="Couldn't connect"):
        _calls(server, 1)
    assert len(server.requests) == 2


def test_an_action_server_that_is_down_still_fails_with_rasas_message(tuned, unused_tcp_port_url):
    async def scenario():
        try:
            return await _run_action(unused_tcp_port_url)
        finally:
            await rasa_tuning.close_action_server_connections()

    with pytest.raises(RasaException, match="Couldn't connect"):
        asyncio.run(scenario())


@pytest.fixture
def unused_tcp_port_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhook"


# The action server's door, in front of rasa-sdk's own app served on 127.0.0.1.

SECRET = "s3cret"
ACTION_CALL = {
    "next_action": "action_echo",
    "sender_id": "someone",
    "version": RASA_VERSION,
    "domain": {},
    "tracker": {"sender_id": "someone", "slots": {}, "latest_message": {"text": "ciao"}, "events": []},
}


class _EchoAction(Action):
    def name(self) -> str:
        return "action_echo"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=tracker.latest_message["text"])
        return []


@contextlib.asynccontextmanager
async def _sdk_server(guarded: bool):
    """rasa-sdk's app, as `rasa run actions` builds it (with the door through its plugin hook, or bare)."""
    from rasa_sdk.plugin import plugin_manager

    app = create_app(sys.modules[__name__])
    if guarded:
        rasa_tuning.guard_action_server(SECRET)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.close()
        await server.wait_closed()
        rasa_tuning.undo()


@pytest.fixture(autouse=True)
def _sanic_apps_may_share_a_name(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)


def _answers(guarded: bool, calls: list[tuple[str, str, dict]]) -> list[tuple[int, str]]:
    async def scenario():
        answers = []
        async with _sdk_server(guarded) as client:
            for method, path, options in calls:
                async with client.request(method, path, **options) as reply:
                    answers.append((reply.status, await reply.text()))
        return answers

    return asyncio.run(scenario())


def _with_secret(options: dict) -> dict:
    return {**options, "headers": {**options.get("headers", {}), ACTIONS_TOKEN_HEADER: SECRET}}


def _deflated(payload: bytes, gzip: bool = False) -> bytes:
    compressor = zlib.compressobj(wbits=31 if gzip else zlib.MAX_WBITS)
    return compressor.compress(payload) + compressor.flush()


def test_calls_with_the_secret_get_the_sdks_own_answers():
    calls = [
        ("GET", "/health", {}),
        ("GET", "/actions", {}),
        ("POST", "/webhook", {"json": ACTION_CALL}),
        ("POST", "/webhook", {"json": {**ACTION_CALL, "next_action": "action_nobody_wrote"}}),
        ("POST", "/webhook", {"data": b"not json", "headers": {"Content-Type": "application/json"}}),
        # How Rasa sends a call with COMPRESS_ACTION_SERVER_REQUEST=true (aiohttp's `compress=True`).
        (
            "POST",
            "/webhook",
            {"data": _deflated(json.dumps(ACTION_CALL).encode()), "headers": {"Content-Encoding": "deflate"}},
        ),
    ]
    sdk = _answers(False, calls)
    assert [status for status, _ in sdk] == [200, 200, 200, 404, 400, 200]
    assert json.loads(sdk[2][1])["responses"][0]["text"] == "ciao"
    assert _answers(True, [(method, path, _with_secret(options)) for method, path, options in calls]) == sdk


def test_a_call_without_the_secret_is_refused_and_health_stays_open():
    wrong = {"headers": {ACTIONS_TOKEN_HEADER: "guess"}}
    answers = _answers(
        True,
        [
            ("POST", "/webhook", {"json": ACTION_CALL}),
            ("POST", "/webhook", {"json": ACTION_CALL, **wrong}),
            ("GET", "/actions", {}),
            ("GET", "/health", {}),
        ],
    )
    assert [status for status, _ in answers] == [401, 401, 401, 200]
    assert ACTIONS_TOKEN_HEADER in json.loads(answers[0][1])["error"]


def test_a_body_over_the_limit_gets_413_with_a_message():
    [(status, body)] = _answers(
        True, [("POST", "/webhook", _with_secret({"data": b"x" * (MAX_ACTION_CALL_BYTES + 1)}))]
    )
    assert status == 413 and str(MAX_ACTION_CALL_BYTES) in json.loads(body)["error"]


def test_a_compression_bomb_gets_413_without_being_inflated():
    # Half a megabyte that inflates to half a gigabyte.
    compressor = zlib.compressobj(9)
    zeros = bytes(1 << 20)
    bomb = b"".join(compressor.compress(zeros) for _ in range(512)) + compressor.flush()
    assert len(bomb) < MAX_ACTION_CALL_BYTES
    tracemalloc.start()
    try:
        answers = _answers(
            True,
            [
                ("POST", "/webhook", _with_secret({"data": bomb, "headers": {"Content-Encoding": "deflate"}})),
                (
                    "POST",
                    "/webhook",
                    _with_secret(
                        {"data": _deflated(bytes(1 << 21), gzip=True), "headers": {"Content-Encoding": "gzip"}}
                    ),
                ),
            ],
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [status for status, _ in answers] == [413, 413]
    assert "inflate" in json.loads(answers[0][1])["error"]
    assert peak < 50 * (1 << 20), f"{peak / (1 << 20):.0f} MB were allocated to refuse it"


def test_broken_or_unknown_compression_gets_a_4xx_with_a_message():
    whole = _deflated(json.dumps(ACTION_CALL).encode())
    answers = _answers(
        True,
        [
            ("POST", "/webhook", _with_secret({"data": b"not deflate", "headers": {"Content-Encoding": "deflate"}})),
            (
                "POST",
                "/webhook",
                _with_secret({"data": whole[: len(whole) // 2], "headers": {"Content-Encoding": "deflate"}}),
            ),
            ("POST", "/webhook", _with_secret({"data": b"{}", "headers": {"Content-Encoding": "br"}})),
            (
                "POST",
                "/webhook",
                _with_secret(
                    {
                        "data": _deflated(json.dumps(ACTION_CALL).encode(), gzip=True),
                        "headers": {"Content-Encoding": "gzip"},
                    }
                ),
            ),
        ],
    )
    assert [status for status, _ in answers] == [400, 400, 415, 200]
    assert all(json.loads(body)["error"] for _, body in answers[:3])


def test_the_door_refuses_another_rasa_sdk():
    with pytest.raises(rasa_tuning.PatchError, match="rasa-sdk 3.6.2"):
        rasa_tuning.guard_action_server(SECRET, version="3.7.0")
