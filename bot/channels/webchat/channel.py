"""The local web chat as a Rasa input channel: the page and its messages on Rasa's own
server (same origin, so no CORS and no proxy process).

    GET  /webhooks/webchat/          the page (index.html)
    POST /webhooks/webchat/webhook   {"sender", "message", "metadata": {"language_hint"}} -> Rasa's replies

It is the coach's REST channel (pseudonyms, redaction, teams, chat commands: see
bot/rasa_plugins/rest_channel.py) with three differences: the channel is always
`webchat`, whatever the client says; a body over 64 KB gets 413; and a turn without a
reply gets 502 with an error the page shows, since every turn has a reply when all works.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.rasa_plugins import patches
from bot.rasa_plugins.rest_channel import MAX_MESSAGE_CHARS, PrivateRestInput, clean_text

logger = logging.getLogger(__name__)

PAGE = Path(__file__).with_name("index.html")
MAX_BODY = 64 * 1024
TOO_LONG = "the message is too long"
BAD_REQUEST = "expected JSON with sender and message"
# Longer than any e-mail, IBAN, card, phone or id the redaction blanks: cutting this far past
# what is kept never leaves the kept part of such a datum unblanked.
REDACTION_MARGIN = 256
NO_REPLY = "the coach could not answer this time; your message was received, try again in a moment"


def _csp(page: str) -> str:
    """Only the page's own inline script and style run, and it only talks to its own origin."""

    def hashes(tag: str) -> str:
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.S)
        return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks)

    return (
        f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def _valid(body: bytes) -> bool:
    try:
        request = json.loads(body)
    except ValueError:  # not JSON, or not UTF-8
        return False
    return (
        isinstance(request, dict)
        and isinstance(request.get("sender"), str)
        and request["sender"].strip() != ""
        and isinstance(request.get("message"), str)
        and request["message"].strip() != ""
    )


class WebChatInput(PrivateRestInput):
    @classmethod
    def name(cls) -> str:
        return "webchat"

    def _extract_input_channel(self, req: Request) -> str:
        # Decided by the route, never by the client: a page cannot speak as another channel.
        return self.name()

    def _extract_message(self, req: Request) -> str:
        # The REST channel blanks the whole text, then keeps 4,000 characters; the redaction
        # takes time that grows faster than the text, so a 60 KB message is cut first (as the
        # web chat's former proxy did) and a page cannot hold up the server with it.
        return clean_text(req.json["message"][: MAX_MESSAGE_CHARS + REDACTION_MARGIN])

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        page = PAGE.read_text(encoding="utf-8")
        headers = {
            "Content-Security-Policy": _csp(page),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        }
        webchat = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webchat.route("/", methods=["GET"])
        async def chat_page(request: Request) -> HTTPResponse:
            return response.html(page, headers=headers)

        # Streamed: the body is read here, and no further than the limit.
        @webchat.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            stream = request.stream
            assert stream is not None  # a streamed route always has one
            stream.request_max_size = MAX_BODY
            try:
                await request.receive_body()
            except PayloadTooLarge:
                return _error(413, TOO_LONG)
            if not _valid(request.body):
                return _error(400, BAD_REQUEST)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        self._extract_message(request),
                        collector,
                        await self._extract_sender(request),
                        input_channel=self.name(),
                        metadata=self.get_metadata(request),
                    )
                )
            except CancelledError:
                logger.error("The web chat's message timed out")
            except Exception:  # as Rasa's REST channel: the client gets an answer, the log the trace
                logger.exception("The web chat's message failed")
            if not collector.messages:
                return _error(502, NO_REPLY)
            return response.json(collector.messages)

        # As the REST channel's: the pooled action-server connections close with the server
        # (closing twice is harmless when both channels are on).
        @webchat.listener("after_server_stop")
        async def close_action_server_connections(app: Any, loop: Any) -> None:
            await patches.close_action_server_connections()

        return webchat
