"""The coach's adjustments to Rasa 3.6 internals, applied once, explicitly, at process start.

Rasa offers no hook for these, so they replace three of its methods. `apply()` is called by
`bot.rasa_plugins.start` (the Rasa server and the action server that `make run` starts) and
by the CLI commands that load a model; it refuses any Rasa but the pinned one, because each
replacement copies Rasa 3.6.21's behaviour. `undo()` restores Rasa's own methods (tests).
Why each one pays, with measured figures: the README's benchmark section.

1. Action-response validation. Rasa: `jsonschema.validate`, which validates Rasa's own
   response schema against the meta-schema on every custom action call. Instead: a
   validator built once from the same schema, with Rasa's error wording. Proof that the
   verdicts are unchanged: `test_valid_results_pass_and_invalid_ones_fail_as_with_jsonschema_validate`.
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
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import rasa
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# Below Sanic's 5 s keep-alive (the action server's): a connection the server is about to
# close is never picked for a new call.
IDLE_CONNECTION_SECONDS = 2.0

_SCHEMA = RemoteAction.action_response_format_spec()
_VALIDATOR = validator_for(_SCHEMA)(_SCHEMA)  # the schema is Rasa's and constant: checked once here
validator_for(_SCHEMA).check_schema(_SCHEMA)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
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


RASA_VERSION = "3.6.21"  # the version every replacement here was written against (requirements.lock)


class PatchError(RuntimeError):
    pass


_REPLACEMENTS: list[tuple[type, str, Callable[[], Any]]] = [
    (RemoteAction, "_validate_action_result", lambda: _validate_action_result),
    (RemoteAction, "__init__", lambda: _remote_action_init),
    (Event, "resolve_by_type", lambda: staticmethod(_resolve_by_type)),
]
_originals: dict[tuple[type, str], Any] = {}


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


def undo() -> None:
    """Puts Rasa's own methods back."""
    for (owner, name), original in _originals.items():
        setattr(owner, name, original)
    _originals.clear()
    _event_classes.clear()


def applied() -> bool:
    return bool(_originals)
