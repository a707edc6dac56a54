"""The local web chat as a Rasa input channel: the page and its messages on Rasa's own
server (same origin, so no CORS and no proxy process).

    GET  /webhooks/webchat/            the page (index.html)
    POST /webhooks/webchat/webhook     {"sender", "message", "metadata": {"language_hint"}} -> Rasa's replies
    POST /webhooks/webchat/followups   {"sender", "metadata": {"language_hint"}} -> the follow-ups due, as replies

It is the coach's REST channel (body limit, pseudonyms, redaction, teams, chat commands:
see bot/rasa_plugins/rest_channel.py) with four differences: the channel is always
`webchat`, whatever the client says or signs; every request is checked as a browser's
(a host of ours, the page's own origin and JSON: 403 and 415 otherwise); a turn
without a reply gets 502 with an error the page shows, since
every turn has a reply when all works; and the follow-ups (bot/followups/page.py): their
commands and buttons (`/nudges on|off`, "stop", `/followup ...`) are answered here, not by the
NLU, as the Telegram and Slack connectors do, and the page asks for what is due when it opens.
The follow-ups' database work runs in a thread; a database that is away gets 503, never a 500.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from bot import settings as coach_settings
from bot.adoption_log.store import LogStore
from bot.channels.contract import MAX_BODY as MAX_BODY  # the limit the page's messages are held to
from bot.channels.rasa_client import CoachReply
from bot.followups.page import PageFollowups
from bot.followups.schedule import Schedule
from bot.knowledge.reload import LiveKnowledge
from bot.privacy.teams import TeamDirectory
from bot.rasa_plugins.rest_channel import LANGUAGE_HINT, PrivateRestInput, _read_body, error, json_object

logger = logging.getLogger(__name__)

PAGE = Path(__file__).with_name("index.html")
NO_REPLY = "the coach could not answer this time; your message was received, try again in a moment"
NO_SENDER = "expected JSON with sender"
NO_FOLLOWUPS = "follow-ups are not available right now; try again in a moment"
T = TypeVar("T")


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

    def __init__(self, settings: coach_settings.Settings | None = None, followups: PageFollowups | None = None) -> None:
        settings = settings or coach_settings.load()
        super().__init__(settings)
        self.followups = followups or _followups(settings, self.key, self.teams)
        self.page = PAGE.read_text(encoding="utf-8")
        self.page_headers = {
            "Content-Security-Policy": _csp(self.page),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        }

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        door = super().blueprint(on_new_message)

        # Checked as the webhook is (host, origin, JSON, body limit): only the page asks, in its visitor's name.
        @door.route("/followups", methods=["POST"], stream=True)
        async def followups(request: Request) -> HTTPResponse:
            refusal = self._refusal(request) or await _read_body(request) or self._no_sender(request)
            return refusal or await self._due(request)

        return door

    def front(self, request: Request) -> HTTPResponse:
        return response.html(self.page, headers=self.page_headers)

    # --- follow-ups -----------------------------------------------------------------------
    def _no_sender(self, request: Request) -> HTTPResponse | None:
        """The door's body check for a request that has no message: a JSON object with a sender."""
        body = json_object(request.body)
        if body is None or not isinstance(body.get("sender"), str) or not body["sender"].strip():
            return error(400, NO_SENDER)
        request.ctx.body, request.ctx.signed = body, False
        return None

    async def _due(self, request: Request) -> HTTPResponse:
        if self.followups is None:
            return response.json([])
        try:
            shown = await _in_a_thread(self.followups.due, self._account(request))
        except SQLAlchemyError:
            return error(503, NO_FOLLOWUPS)
        return response.json(self._as_replies(request, shown))

    async def _answer(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> HTTPResponse:
        if self.followups is None:
            return await super()._answer(request, on_new_message)
        account, said = self._account(request), request.ctx.body["message"]
        hint = self.get_metadata(request).get(LANGUAGE_HINT)
        try:
            handled = await _in_a_thread(self.followups.handle, account, said, hint)
        except SQLAlchemyError:
            return error(503, NO_FOLLOWUPS)
        if handled is not None:
            return response.json(self._as_replies(request, handled))
        answered = await super()._answer(request, on_new_message)
        if answered.status != 200:  # no answer shown: no question after it either
            return answered
        try:
            offer = await _in_a_thread(self.followups.offer, account, said, hint)
        except SQLAlchemyError:
            return answered  # the coach's answer is shown; the question is asked another time
        if offer is None:
            return answered
        # Rasa's replies, then the question whether to check in (once, after the first "that helped").
        return response.json([*json.loads(answered.body or b"[]"), *self._as_replies(request, [offer])])

    def _as_replies(self, request: Request, replies: list[CoachReply]) -> list[dict[str, Any]]:
        """The follow-ups' messages in Rasa's reply format: the page draws them as the coach's."""
        recipient = self._extract_sender(request)
        return [
            {"recipient_id": recipient, "text": r.text, "buttons": [{"title": t, "payload": p} for t, p in r.buttons]}
            for r in replies
        ]

    def _signed_by_connector(self, request: Request) -> bool:
        # Not even looked at: whoever signs, the page's messages are the web chat's.
        return False

    def _extract_input_channel(self, req: Request) -> str:
        # Decided by the route, never by the client: a page cannot speak as another channel.
        return self.name()

    def _replies(self, messages: list[dict[str, Any]]) -> HTTPResponse:
        return response.json(messages) if messages else error(502, NO_REPLY)


async def _in_a_thread(work: Callable[..., T], *args: Any) -> T:
    """`work` in a thread: it queries the database, and Rasa's event loop serves everyone meanwhile.
    A database failure is said in the server's log, then raised for the caller to answer."""
    try:
        return await asyncio.to_thread(work, *args)
    except SQLAlchemyError as failure:
        logger.warning("The web chat's follow-ups: the database failed: %s", failure.__class__.__name__)
        raise


def _followups(settings: coach_settings.Settings, key: bytes, teams: TeamDirectory) -> PageFollowups | None:
    """The follow-ups of the settings; a wrong COACH_TIMEZONE or COACH_WORK_HOURS leaves them out, said
    in the log, and the web chat serves on (the worker, if it runs, says the same and stops `make run`)."""
    try:
        schedule = Schedule.from_environment()
    except coach_settings.SettingsError as wrong:
        logger.error("The web chat has no follow-ups: %s", wrong)
        return None
    return PageFollowups(
        LogStore(settings.log_db_url),
        key,
        LiveKnowledge(settings.knowledge_dir).get,
        schedule,
        store_text=settings.store_text,
        teams=teams,
    )
