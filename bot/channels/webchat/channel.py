"""The local web chat as a Rasa input channel: the page and its messages on Rasa's own
server (same origin, so no CORS and no proxy process).

    GET  /webhooks/webchat/          the page (index.html)
    POST /webhooks/webchat/webhook   {"sender", "message", "metadata": {"language_hint"}} -> Rasa's replies

It is the coach's REST channel (body limit, pseudonyms, redaction, teams, chat commands:
see bot/rasa_plugins/rest_channel.py) with three differences: the channel is always
`webchat`, whatever the client says or signs; every request is checked as a browser's
(a host of ours, the page's own origin and JSON: 403 and 415 otherwise); and a turn
without a reply gets 502 with an error the page shows, since
every turn has a reply when all works.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.contract import MAX_BODY as MAX_BODY  # the limit the page's messages are held to
from bot.rasa_plugins.rest_channel import PrivateRestInput, error
from bot.settings import Settings

PAGE = Path(__file__).with_name("index.html")
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


class WebChatInput(PrivateRestInput):
    always_from_browser = True

    @classmethod
    def name(cls) -> str:
        return "webchat"

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings)
        self.page = PAGE.read_text(encoding="utf-8")
        self.page_headers = {
            "Content-Security-Policy": _csp(self.page),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        }

    def front(self, request: Request) -> HTTPResponse:
        return response.html(self.page, headers=self.page_headers)

    def _signed_by_connector(self, request: Request) -> bool:
        # Not even looked at: whoever signs, the page's messages are the web chat's.
        return False

    def _extract_input_channel(self, req: Request) -> str:
        # Decided by the route, never by the client: a page cannot speak as another channel.
        return self.name()

    def _replies(self, messages: list[dict[str, Any]]) -> HTTPResponse:
        return response.json(messages) if messages else error(502, NO_REPLY)
