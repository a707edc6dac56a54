"""The coach's adjustments to Rasa 3.6 internals, applied once, explicitly, at process start.

Rasa offers no hook for these, so they replace three of its methods. `apply()` is called by
`bot.rasa_plugins.start` (the Rasa server and the action server that `make run` starts) and
by the CLI commands that load a model; it refuses any Rasa but the pinned one, because each
replacement copies Rasa 3.6.21's behaviour. `undo()` restores Rasa's own methods (tests).
Why each one pays, with measured figures: the README's benchmark section.

1. Action-response validation. Rasa: `jsonschema.validate`, which validates Rasa's own
   response schema against the meta-schema on every custom action call, and then walks
   the schema's two dozen event kinds (`oneOf`) for every event (1.7 ms a reply). Instead:
   the same schema compiled once to code by fastjsonschema, each event checked against its
   own kind only (the kinds differ by their `event` constant, so exactly one can match:
   checked at import); a reply refused there goes through jsonschema for Rasa's wording.
   Proof that the verdicts are unchanged:
   `test_valid_results_pass_and_invalid_ones_fail_as_with_jsonschema_validate`.
2. Action-server connections. Rasa: a new aiohttp session (a new TCP connection) per call,
   and a call whose connection broke before the reply ("Cannot write to closing
   transport") loses the action's events. Instead: one pool of kept-alive connections per
   event loop, and one retry of a call that broke before a reply (never of a timeout). The
   retry is safe only because the coach's action has no side effects (deploy/README.md).
   Proof: the connection and retry tests in `tests/unit/rasa_plugins/test_patches.py`
   (five calls on one connection; a dropped call retried once with the same body; two
   drops give Rasa's own error).
3. Event class lookup. Rasa: walks every subclass of `Event` for each stored event it
   reads. Instead: the class found for a type name is remembered. Proof:
   `test_event_classes_are_found_as_rasa_finds_them` (known, unknown, default, `topic`).
4. The action server's door (`guard_action_server`, through rasa-sdk's own plugin hook, not a
   replacement). rasa-sdk: anyone who reaches the port may call an action, a body may be
   100 MB (Sanic's default; its 413 comes back as the sdk's 500), and a deflate body is
   inflated whole, so a 1 MB bomb becomes 1 GB in memory. Instead: a call without the
   shared secret gets 401, a body or its inflated content over 1 MB gets 413, and the sdk
   then sees the call uncompressed. Proof that the sdk's own answers are unchanged for
   calls with the secret, and the limits: the action-server tests in test_patches.py.
5. Rasa's list of expected warnings (`rasa.utils.common.EXPECTED_WARNINGS`, ignored at any log
   level above DEBUG), not a replacement. Rasa: a button payload naming an entity the domain
   does not have (`/ask_tip{"note": ...}`) is answered, and warned about with the whole
   payload, once per distinct text: a salesperson's words, unredacted, in the server's log,
   one line for each such message anyone sends. Instead: that warning joins Rasa's expected
   ones. Proof: `test_a_payload_with_unknown_entities_leaves_no_text_in_the_server_log`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import zlib
from collections.abc import Callable
from typing import Any

import aiohttp
import fastjsonschema
import pluggy
import rasa
import rasa_sdk
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.utils.common import EXPECTED_WARNINGS
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request

logger = logging.getLogger(__name__)

# Below Sanic's 5 s keep-alive (the action server's): a connection the server is about to
# close is never picked for a new call.
IDLE_CONNECTION_SECONDS = 2.0

_SCHEMA = RemoteAction.action_response_format_spec()
_VALIDATOR = validator_for(_SCHEMA)(_SCHEMA)  # the schema is Rasa's and constant: checked once here
validator_for(_SCHEMA).check_schema(_SCHEMA)


def _compiled_per_event_kind(schema: dict[str, Any]) -> tuple[Callable, dict[str, Callable]]:
    """(the reply without its events' `oneOf`, {event kind: the checks of one event of that kind})."""
    event = schema["properties"]["events"]["items"]
    common = {key: value for key, value in event.items() if key != "oneOf"}
    kinds = [branch["properties"]["event"]["const"] for branch in event["oneOf"]]
    if len(set(kinds)) != len(kinds):
        raise RuntimeError("Rasa's event kinds are no longer told apart by their `event` constant")
    reply = {**schema, "properties": {**schema["properties"], "events": {"type": "array", "items": common}}}
    per_kind = {
        kind: fastjsonschema.compile({"allOf": [common, branch]})
        for kind, branch in zip(kinds, event["oneOf"], strict=True)
    }
    return fastjsonschema.compile(reply), per_kind


_valid_reply, _valid_event = _compiled_per_event_kind(_SCHEMA)


def _passes_compiled_checks(result: Any) -> bool:
    try:
        _valid_reply(result)
        for event in result.get("events", []):
            _valid_event[event["event"]](event)
    except (fastjsonschema.JsonSchemaException, KeyError, TypeError):
        return False
    return True


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    if _passes_compiled_checks(result):
        return True
    error = best_match(_VALIDATOR.iter_errors(result))
    if error is None:
        return True
    error.message += (  # Rasa's own wording
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


class _Borrowed:
    """A pooled session lent to Rasa's `async with endpoint.session()`: leaving the block keeps it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


_pools: dict[tuple[int, str], tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}


class PooledActionEndpoint(EndpointConfig):
    """Rasa's action endpoint, with kept-alive connections and one retry of a broken call."""

    @classmethod
    def of(cls, endpoint: EndpointConfig) -> PooledActionEndpoint:
        pooled = cls(
            endpoint.url,
            endpoint.params,
            endpoint.headers,
            endpoint.basic_auth,
            endpoint.token,
            endpoint.token_name,
            endpoint.cafile,
            **endpoint.kwargs,
        )
        pooled.type = endpoint.type
        return pooled

    def session(self) -> _Borrowed:
        loop = asyncio.get_running_loop()
        key = (id(loop), repr((self.url, self.headers, self.basic_auth)))
        owner, session = _pools.get(key, (None, None))
        if owner is not loop or session is None or session.closed:
            session = aiohttp.ClientSession(
                headers=self.headers,
                auth=aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                if self.basic_auth
                else None,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
            )
            _pools[key] = (loop, session)
        return _Borrowed(session)

    async def request(self, *args: Any, **kwargs: Any) -> Any | None:
        try:
            return await super().request(*args, **kwargs)
        except asyncio.TimeoutError:
            raise  # the action server is slow, not gone: a second wait would only double it
        except (aiohttp.ClientConnectionError, ConnectionError) as error:
            logger.warning("The call to the action server broke before a reply (%r); retrying it once.", error)
            return await super().request(*args, **kwargs)


async def close_action_server_connections() -> None:
    """Closes the pools of the running event loop (at server stop)."""
    loop = asyncio.get_running_loop()
    for key, (owner, session) in list(_pools.items()):
        if owner is loop:
            del _pools[key]
            await session.close()


_event_classes: dict[str, type[Event]] = {}


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Rasa's lookup, remembered: only classes found are, so unknown names still get Rasa's
    default or its error (event classes are all defined when the server starts)."""
    found = _event_classes.get(type_name)
    if found is None:
        found = _originals[(Event, "resolve_by_type")].__func__(type_name, default)
        if found is not None and found is not default:
            _event_classes[type_name] = found
    return found


def _remote_action_init(self: RemoteAction, name: str, action_endpoint: EndpointConfig | None) -> None:
    if action_endpoint is not None and not isinstance(action_endpoint, PooledActionEndpoint):
        action_endpoint = PooledActionEndpoint.of(action_endpoint)
    _originals[(RemoteAction, "__init__")](self, name, action_endpoint)


# The header the Rasa server sends the action server's secret in (endpoints.yml, deploy/endpoints.yml).
ACTIONS_TOKEN_HEADER = "X-Coach-Actions-Token"
# An action call carries the conversation's recent events: tens of kilobytes.
MAX_ACTION_CALL_BYTES = 1_000_000
# zlib's window bits for "a zlib or a gzip stream, whichever the header says".
_ZLIB_OR_GZIP = 32 + zlib.MAX_WBITS


def _refusal(status: int, message: str) -> response.HTTPResponse:
    return response.json({"error": message}, status=status)


class ActionServerDoor:
    """rasa-sdk's `attach_sanic_app_extensions` hook: the secret, the size limits, one inflation."""

    def __init__(self, token: str, limit: int = MAX_ACTION_CALL_BYTES) -> None:
        if not token:
            raise ValueError("the action server needs a non-empty secret")
        self._token = token.encode()
        self.limit = limit

    @pluggy.HookimplMarker("rasa_sdk")
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        app.config.REQUEST_MAX_SIZE = self.limit
        # More specific than the sdk's handler of every exception, which answers 500.
        app.error_handler.add(PayloadTooLarge, self._too_large)
        app.register_middleware(self.check, "request")

    def _too_large(self, request: Request, exception: Exception) -> response.HTTPResponse:
        return _refusal(413, f"an action call may be at most {self.limit} bytes")

    async def check(self, request: Request) -> response.HTTPResponse | None:
        """None lets the call through to the sdk; otherwise the refusal."""
        if request.path == "/health":  # says only "ok"; `make run` waits on it
            return None
        given = request.headers.get(ACTIONS_TOKEN_HEADER, "").encode()
        if not hmac.compare_digest(given, self._token):
            return _refusal(401, f"only the Rasa server may call the action server (header {ACTIONS_TOKEN_HEADER})")
        return self._inflate(request)

    def _inflate(self, request: Request) -> response.HTTPResponse | None:
        """A compressed body, inflated up to the limit, replaces the original; the sdk then reads it as JSON."""
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        if encoding == "identity":
            return None
        if encoding not in ("deflate", "gzip"):
            return _refusal(415, f"unsupported Content-Encoding {encoding!r}: send deflate, gzip or none")
        inflater = zlib.decompressobj(_ZLIB_OR_GZIP)
        try:
            body = inflater.decompress(request.body, self.limit + 1)
        except zlib.error:
            return _refusal(400, f"the body is not valid {encoding} data")
        if len(body) > self.limit:
            return _refusal(413, f"an action call may inflate to at most {self.limit} bytes")
        if not inflater.eof:
            return _refusal(400, f"the {encoding} data is cut short")
        request.body = body
        del request.headers["content-encoding"]
        return None


RASA_VERSION = "3.6.21"  # the version every replacement here was written against (requirements.lock)
RASA_SDK_VERSION = "3.6.2"  # the sdk whose webhook the action server's door was written for


class PatchError(RuntimeError):
    pass


_REPLACEMENTS: list[tuple[type, str, Callable[[], Any]]] = [
    (RemoteAction, "_validate_action_result", lambda: _validate_action_result),
    (RemoteAction, "__init__", lambda: _remote_action_init),
    (Event, "resolve_by_type", lambda: staticmethod(_resolve_by_type)),
]
_originals: dict[tuple[type, str], Any] = {}
# Rasa builds its filter as `.*` + this text: a literal after one `.*`, linear on any message.
UNKNOWN_PAYLOAD_ENTITIES = (UserWarning, "Failed to parse arguments in line")


def apply(version: str = rasa.__version__) -> None:
    """Replaces Rasa's methods with the coach's; idempotent. Refuses another Rasa version."""
    if version != RASA_VERSION:
        raise PatchError(
            f"the coach's Rasa adjustments (bot/rasa_plugins/patches.py) were written for Rasa {RASA_VERSION}, "
            f"this is Rasa {version}: install requirements.lock, or re-check each adjustment against this version"
        )
    for owner, name, replacement in _REPLACEMENTS:
        _originals.setdefault((owner, name), owner.__dict__[name])
        setattr(owner, name, replacement())
    if UNKNOWN_PAYLOAD_ENTITIES not in EXPECTED_WARNINGS:
        EXPECTED_WARNINGS.append(UNKNOWN_PAYLOAD_ENTITIES)


_doors: list[ActionServerDoor] = []


def guard_action_server(token: str, version: str = rasa_sdk.__version__) -> ActionServerDoor:
    """Puts the door in front of the action server this process will start; refuses another rasa-sdk."""
    if version != RASA_SDK_VERSION:
        raise PatchError(
            f"the action server's door (bot/rasa_plugins/patches.py) was written for rasa-sdk {RASA_SDK_VERSION}, "
            f"this is rasa-sdk {version}: install requirements.lock, or re-check it against this version"
        )
    door = ActionServerDoor(token)
    for previous in _doors:
        plugin_manager().unregister(previous)
    _doors[:] = [door]
    plugin_manager().register(door)
    return door


def undo() -> None:
    """Puts Rasa's own methods back, and takes the action server's door away."""
    for (owner, name), original in _originals.items():
        setattr(owner, name, original)
    _originals.clear()
    while UNKNOWN_PAYLOAD_ENTITIES in EXPECTED_WARNINGS:
        EXPECTED_WARNINGS.remove(UNKNOWN_PAYLOAD_ENTITIES)
    _event_classes.clear()
    for door in _doors:
        plugin_manager().unregister(door)
    _doors.clear()


def applied() -> bool:
    return bool(_originals)
