"""Rasa 3.6's work per message, made cheaper and sturdier (found by profiling the server
with py-spy, and by the two-replica test; figures in the README's benchmark section).

- Rasa checks the action server's reply with `jsonschema.validate`, which first validates
  Rasa's own response schema against the JSON Schema meta-schema, on every custom action
  call: a quarter of the server's CPU with 20 concurrent senders. A validator built once
  from the same schema gives exactly the same verdicts and error messages.
- Rasa opens a new aiohttp session, so a new TCP connection, for every action call. The
  action endpoint here keeps one pool of kept-alive connections per event loop.
- Rasa finds an event's class by walking every subclass of `Event`, for each event it
  reads: a tenth of the server's time for one sender, most of it while loading the
  stored conversation. The class found for a type name is remembered.
- A call whose connection breaks before a reply arrives ("Cannot write to closing
  transport", a server disconnect) made Rasa drop the action's events: the user got no
  reply. It is retried once. That is safe because the coach's action has no side effects:
  it computes the reply from the tracker it is sent, so running it twice changes nothing.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional, Tuple, Type

import aiohttp
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


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
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


_pools: Dict[Tuple[int, str], Tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}


class PooledActionEndpoint(EndpointConfig):
    """Rasa's action endpoint, with kept-alive connections and one retry of a broken call."""

    @classmethod
    def of(cls, endpoint: EndpointConfig) -> "PooledActionEndpoint":
        pooled = cls(endpoint.url, endpoint.params, endpoint.headers, endpoint.basic_auth, endpoint.token,
                     endpoint.token_name, endpoint.cafile, **endpoint.kwargs)
        pooled.type = endpoint.type
        return pooled

    def session(self) -> _Borrowed:  # type: ignore[override]
        loop = asyncio.get_running_loop()
        key = (id(loop), repr((self.url, self.headers, self.basic_auth)))
        owner, session = _pools.get(key, (None, None))
        if owner is not loop or session is None or session.closed:
            session = aiohttp.ClientSession(
                headers=self.headers,
                auth=aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
            )
            _pools[key] = (loop, session)
        return _Borrowed(session)

    async def request(self, *args: Any, **kwargs: Any) -> Optional[Any]:
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


_rasa_resolve_by_type = Event.resolve_by_type
_event_classes: Dict[str, Type[Event]] = {}


def _resolve_by_type(type_name: str, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Rasa's lookup, remembered: only classes found are, so unknown names still get Rasa's
    default or its error (event classes are all defined when the server starts)."""
    found = _event_classes.get(type_name)
    if found is None:
        found = _rasa_resolve_by_type(type_name, default)
        if found is not None and found is not default:
            _event_classes[type_name] = found
    return found


_rasa_remote_action_init = RemoteAction.__init__


def _remote_action_init(self: RemoteAction, name: str, action_endpoint: Optional[EndpointConfig]) -> None:
    if action_endpoint is not None and not isinstance(action_endpoint, PooledActionEndpoint):
        action_endpoint = PooledActionEndpoint.of(action_endpoint)
    _rasa_remote_action_init(self, name, action_endpoint)


def apply() -> None:
    """Idempotent; called when the coach's REST channel is created in the Rasa server."""
    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction.__init__ = _remote_action_init
    Event.resolve_by_type = staticmethod(_resolve_by_type)

