"""The coach's REST channel: Rasa's route and reply format, with privacy and identity at the door.

Every way in (the local web chat, the Telegram and Slack connectors, benchmarks)
posts here: {"sender", "message", "metadata": {"channel", "language_hint"}}.
Before Rasa sees the message:
- the body is a JSON object of at most 64 KB with a sender and a message, or it is refused
  (413 unread, 400);
- a request a browser sent (it has an Origin) comes from the chat's own page, names a host
  of ours (403 otherwise: another site cannot post in a visitor's name) and says it is
  JSON (415 otherwise: a cross-site form or `text/plain` post is not);
- who speaks is decided here: only the coach's connectors, which sign their requests
  (bot/channels/contract.py; a bad, stale or already used signature gets 401, used at this
  replica or another: bot/channels/replays.py), speak for a
  platform account such as a Telegram id. Any other client is a `rest` (or `webchat`) user, and a
  ready-made pseudonym it sends is hashed again, so it is never somebody else's;
- the sender becomes a pseudonym (keyed HMAC of channel and account), so the
  tracker store and the log never hold an account id;
- personal data in the text is blanked (bot/privacy/redaction.py);
- the team comes from the adoption lead's mapping, never from the client;
- the chat commands (/privacy, /forget, /help, /start) become their intents.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from asyncio import CancelledError
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings as coach_settings
from bot.adoption_log.records import TEAM
from bot.channels import contract
from bot.channels.contract import MAX_BODY, MAX_MESSAGE_CHARS, read_part
from bot.channels.replays import UsedSignatures
from bot.privacy.pseudonyms import is_pseudonym, load_key, pseudonym
from bot.privacy.redaction import redact
from bot.privacy.teams import TeamDirectory
from bot.rasa_plugins import patches
from bot.settings import LANGUAGES

logger = logging.getLogger(__name__)

LANGUAGE_HINT = "language_hint"
_CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
# The channels a client may name without a connector's signature: they are nobody's platform account.
OPEN_CHANNELS = frozenset({"rest", "webchat"})
# Put before a pseudonym an unsigned client sends, so that it is hashed like any other account id.
CLAIMED = "claimed:"
# Half of a UTF-16 pair, which JSON can carry alone and no database can store.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# A Host header: a name or an address, or a bracketed IPv6 address, and an optional port.
_HOST = re.compile(r"^(\[[0-9a-f:.]{2,45}\]|[a-z0-9._-]{1,253})(?::[0-9]{1,5})?$")
COMMANDS = {
    "/start": "/greet",
    "/help": "/ask_help",
    "/privacy": "/ask_privacy",
    "/forget": "/request_forget",
}

TOO_LONG = f"the message is too long: a request may have {MAX_BODY // 1024} KB at most"
NOT_JSON = "send the message as JSON, with Content-Type: application/json"
BAD_REQUEST = "expected JSON with sender and message"
WRONG_HOST = "this server does not answer to that host name"
WRONG_ORIGIN = "this server takes messages only from the coach's own chat page"


def _body(request: Request) -> dict[str, Any]:
    """The body as the door parsed it (PrivateRestInput._unacceptable): one parser decides what was sent."""
    return request.ctx.body


def _by_connector(request: Request) -> bool:
    """Whether one of the coach's connectors signed the request (checked at the door)."""
    return request.ctx.signed


def _metadata(body: dict[str, Any]) -> dict[str, Any]:
    metadata = body.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def as_command(text: str) -> str:
    """'/privacy' (or '/privacy@CoachBot', as Telegram sends it in groups) -> '/ask_privacy';
    '/lang es' -> the set_language intent with its entity, so the choice lives in the tracker."""
    words = text.strip().split()
    command = words[0].split("@", 1)[0].lower() if words else ""
    if command == "/lang":
        choice = words[1].lower() if len(words) > 1 else ""
        return f'/set_language{{"chosen_language": "{choice}"}}' if choice in LANGUAGES else "/set_language"
    return COMMANDS.get(command, text)


def storable(text: str) -> str:
    """The text with each lone surrogate replaced by U+FFFD, so that it can be encoded and stored."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def clean_text(text: str) -> str:
    """Blanked, then cut to the longest message the coach reads. Only a little more than that is
    blanked: redaction's work stays bounded whatever a client sends."""
    return as_command(redact(storable(read_part(text)))[:MAX_MESSAGE_CHARS])


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def _host_name(host: str) -> str | None:
    """'Coach.example.com:5005' -> 'coach.example.com', '[::1]:5005' -> '::1'; None if not a Host."""
    found = _HOST.match(host.strip().lower())
    return found.group(1).strip("[]") if found else None


def browser_refusal(headers: Mapping[str, str], hosts: frozenset[str], origins: frozenset[str]) -> str | None:
    """Why a request a browser may have made is refused, or None.

    The Host must be one of ours, so a page of another site that got its name to point at
    this machine (DNS rebinding) is refused; an Origin, which browsers send with every POST,
    must be the Host's own (the chat's page) or one of COACH_ALLOWED_ORIGINS."""
    host = headers.get("host", "")
    if _host_name(host) not in hosts:
        return WRONG_HOST
    origin = headers.get("origin")
    if origin is None:
        return None
    scheme, _, authority = origin.strip().lower().rstrip("/").partition("://")
    same_origin = scheme in ("http", "https") and authority == host.strip().lower()
    return None if same_origin or f"{scheme}://{authority}" in origins else WRONG_ORIGIN


def is_json(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body's JSON object; None for anything else (not JSON, not UTF-8, nested past Python's limit, a list)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _complete(body: dict[str, Any]) -> bool:
    # Rasa gives no reply to a message without text: the client gets a 400 that says why, not silence.
    return all(isinstance(body.get(field), str) and body[field].strip() for field in ("sender", "message"))


async def _read_body(request: Request) -> HTTPResponse | None:
    """Reads the body of a streamed route, no further than MAX_BODY (a declared larger one is not read at all)."""
    stream = request.stream
    assert stream is not None  # a streamed route always has one
    stream.request_max_size = MAX_BODY
    try:
        await request.receive_body()
    except PayloadTooLarge:
        return error(413, TOO_LONG)
    return None


class PrivateRestInput(InputChannel):
    """Rasa's REST route (/webhooks/rest/webhook) and reply format, behind the checks above."""

    # The web chat's route is used by its page in a browser; this one by programs, which are
    # checked as browsers only when they send an Origin.
    always_from_browser = False

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self, settings: coach_settings.Settings | None = None) -> None:
        settings = settings or coach_settings.load()
        self.key = load_key(settings.secret_key, settings.secret_key_file)
        self.connector_secret = contract.load_secret(settings)
        # Shared with every replica of the log's database (no connection is opened before a signed request).
        self.used_signatures = UsedSignatures(settings.log_db_url)
        self.hosts, self.origins = settings.chat_hosts, settings.chat_origins
        self.teams = TeamDirectory(settings.teams_file)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> PrivateRestInput:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        door = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @door.route("/", methods=["GET"])
        async def front(request: Request) -> HTTPResponse:
            return self.front(request)

        # Streamed: the body is read by the handler, and no further than the limit.
        @door.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            refusal = self._refusal(request) or await _read_body(request) or self._unacceptable(request)
            return refusal or await self._used_before(request) or await self._answer(request, on_new_message)

        # The channel's blueprint is the one hook into the server's life: the pooled
        # action-server connections (bot/rasa_plugins/patches.py) close with it (closing
        # twice is harmless when both chat channels are on).
        @door.listener("after_server_stop")
        async def close_action_server_connections(app: Any, loop: Any) -> None:
            await patches.close_action_server_connections()

        return door

    def front(self, request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    def _refusal(self, request: Request) -> HTTPResponse | None:
        """A refusal decided by the headers, before the body is read."""
        headers = request.headers
        if not (self.always_from_browser or "origin" in headers):
            return None
        reason = browser_refusal(headers, self.hosts, self.origins)
        if reason:
            logger.warning(
                "Refused a %s message for host %r from origin %r (a host of ours is named in COACH_ALLOWED_HOSTS, "
                "another page's origin in COACH_ALLOWED_ORIGINS)",
                self.name(),
                headers.get("host", "")[:100],
                headers.get("origin", "")[:100],
            )
            return error(403, reason)
        # A page of another site can send `text/plain` without asking first; JSON it cannot.
        return None if is_json(headers.get("content-type")) else error(415, NOT_JSON)

    def _unacceptable(self, request: Request) -> HTTPResponse | None:
        """A refusal decided by the body: not a JSON object, or a connector's signature that does not hold."""
        body = json_object(request.body)
        if body is None or not _complete(body):
            return error(400, BAD_REQUEST)
        request.ctx.body = body
        try:
            request.ctx.signed = self._signed_by_connector(request)
        except contract.SignatureError as refused:
            return self._not_a_connector(refused)
        return None

    def _signed_by_connector(self, request: Request) -> bool:
        request.ctx.signature = contract.verify(
            self.connector_secret,
            request.headers.get(contract.TIMESTAMP),
            request.headers.get(contract.SIGNATURE),
            request.body,
            nonce=request.headers.get(contract.NONCE),
        )
        return request.ctx.signature is not None

    async def _used_before(self, request: Request) -> HTTPResponse | None:
        """A refusal of a connector's signature already taken, here or by another replica: each is used once."""
        if not _by_connector(request):
            return None
        try:  # in a thread: Rasa's event loop serves every chat meanwhile
            await asyncio.to_thread(self.used_signatures.use, request.ctx.signature)
        except contract.SignatureError as refused:
            return self._not_a_connector(refused)
        return None

    def _not_a_connector(self, refused: contract.SignatureError) -> HTTPResponse:
        logger.warning("Refused a %s message: %s", self.name(), refused)
        return error(401, f"{refused}; only the coach's connectors sign their requests")

    async def _answer(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> HTTPResponse:
        collector = CollectingOutputChannel()
        try:
            await on_new_message(
                UserMessage(
                    self._extract_message(request),
                    collector,
                    self._extract_sender(request),
                    input_channel=self._extract_input_channel(request),
                    metadata=self.get_metadata(request),
                )
            )
        except CancelledError:
            logger.error("A %s message timed out", self.name())
        except Exception:  # as Rasa's REST channel: the client gets an answer, the log the trace
            logger.exception("A %s message failed", self.name())
        return self._replies(collector.messages)

    def _replies(self, messages: list[dict[str, Any]]) -> HTTPResponse:
        return response.json(messages)

    def _extract_input_channel(self, req: Request) -> str:
        channel = str(_metadata(_body(req)).get("channel") or "").lower()
        if not _CHANNEL_NAME.match(channel) or (channel not in OPEN_CHANNELS and not _by_connector(req)):
            return self.name()
        return channel

    def _account(self, req: Request) -> str:
        account = storable(_body(req)["sender"][:128])
        # The pseudonym function lets a pseudonym through unchanged (the log relies on it): one a
        # client hands in is made an ordinary account id, so it can never be another person's.
        return CLAIMED + account if is_pseudonym(account) and not _by_connector(req) else account

    def _extract_sender(self, req: Request) -> str:
        return pseudonym(self.key, self._extract_input_channel(req), self._account(req))

    def _extract_message(self, req: Request) -> str:
        return clean_text(_body(req)["message"])

    def get_metadata(self, request: Request) -> dict[str, Any]:
        # Only what the coach uses: anything else a client sends would end up stored.
        metadata: dict[str, Any] = {}
        hint = _metadata(_body(request)).get(LANGUAGE_HINT)
        if isinstance(hint, str) and hint and hint[:5].isascii():  # as every language code is
            metadata[LANGUAGE_HINT] = hint[:5]
        team = self.teams.team(self._extract_input_channel(request), self._account(request))
        if team:
            metadata[TEAM] = team
        return metadata
