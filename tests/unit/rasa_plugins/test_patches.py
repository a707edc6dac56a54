"""The tuned action calls: Rasa's verdicts on action replies, kept-alive connections, and one
retry of a call whose connection broke, against a real HTTP server on 127.0.0.1."""

import asyncio
import json
import socket

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_plugins import patches as rasa_tuning

VALID = {"events": [{"event": "slot", "name": "language", "value": "it"}], "responses": [{"text": "ciao"}]}
INVALID = [{"events": "not a list"}, {"responses": [42]}, {"events": [{"event": "slot", "timestamp": "yesterday"}]}]


@pytest.fixture
def tuned():
    originals = RemoteAction._validate_action_result, RemoteAction.__init__, Event.__dict__["resolve_by_type"]
    rasa_tuning.apply()
    yield RemoteAction("action_coach_reply", None)
    RemoteAction._validate_action_result, RemoteAction.__init__, Event.resolve_by_type = originals


def test_valid_results_pass_and_invalid_ones_fail_as_with_jsonschema_validate(tuned):
    assert tuned._validate_action_result(VALID) is True
    for result in INVALID:
        with pytest.raises(ValidationError) as ours:
            tuned._validate_action_result(result)
        with pytest.raises(ValidationError) as reference:
            validate(result, RemoteAction.action_response_format_spec())
        assert ours.value.message.startswith(reference.value.message)
        assert "Failed to validate Action server response" in ours.value.message


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
