"""The coach's REST channel: Rasa's, with privacy applied at the door.

Every way in (the local web chat, the Telegram and Slack connectors, benchmarks)
posts here: {"sender", "message", "metadata": {"channel", "language_hint"}}.
Before Rasa sees the message:
- the sender becomes a pseudonym (keyed HMAC of channel and account), so the
  tracker store and the log never hold an account id;
- personal data in the text is blanked (bot/privacy/redaction.py);
- the team comes from the adoption lead's mapping, never from the client;
- the chat commands (/privacy, /forget, /help, /start) become their intents.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.request import Request

from bot import settings as coach_settings
from bot.adoption_log.records import TEAM
from bot.privacy.pseudonyms import load_key, pseudonym
from bot.privacy.redaction import redact
from bot.privacy.teams import TeamDirectory
from bot.rasa_plugins import patches
from bot.settings import LANGUAGES

MAX_MESSAGE_CHARS = 4000
LANGUAGE_HINT = "language_hint"
_CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
COMMANDS = {
    "/start": "/greet",
    "/help": "/ask_help",
    "/privacy": "/ask_privacy",
    "/forget": "/request_forget",
}


def _body(request: Request) -> dict[str, Any]:
    body = request.json
    return body if isinstance(body, dict) else {}


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


def clean_text(text: Any) -> str:
    """Cut to the longest message the coach reads, then blanked: redaction's work stays bounded
    whatever a client sends."""
    return as_command(redact(str(text if text is not None else "")[:MAX_MESSAGE_CHARS]))


class PrivateRestInput(RestInput):
    """Keeps Rasa's route (/webhooks/rest/webhook) and reply format."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self, settings: coach_settings.Settings | None = None) -> None:
        settings = settings or coach_settings.load()
        self.key = load_key(settings.secret_key, settings.secret_key_file)
        self.teams = TeamDirectory(settings.teams_file)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> PrivateRestInput:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        # The channel's blueprint is the one hook into the server's life: the pooled
        # action-server connections (bot/rasa_plugins/patches.py) close with it.
        @webhook.listener("after_server_stop")
        async def close_action_server_connections(app: Any, loop: Any) -> None:
            await patches.close_action_server_connections()

        return webhook

    def _extract_input_channel(self, req: Request) -> str:
        channel = str(_metadata(_body(req)).get("channel") or "").lower()
        return channel if _CHANNEL_NAME.match(channel) else self.name()

    def _account(self, req: Request) -> str:
        sender = _body(req).get("sender")
        return str(sender)[:128] if sender not in (None, "") else "anonymous"

    async def _extract_sender(self, req: Request) -> str:
        return pseudonym(self.key, self._extract_input_channel(req), self._account(req))

    def _extract_message(self, req: Request) -> str:
        return clean_text(_body(req).get("message"))

    def get_metadata(self, request: Request) -> dict[str, Any]:
        # Only what the coach uses: anything else a client sends would end up stored.
        metadata: dict[str, Any] = {}
        hint = _metadata(_body(request)).get(LANGUAGE_HINT)
        if isinstance(hint, str) and hint:
            metadata[LANGUAGE_HINT] = hint[:5]
        team = self.teams.team(self._extract_input_channel(request), self._account(request))
        if team:
            metadata[TEAM] = team
        return metadata
