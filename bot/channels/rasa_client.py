"""What every connector (Telegram, Slack) uses to talk to the one Rasa server.

The connectors only translate: a chat message in, the coach's replies out. Each
message goes to the coach's REST channel with the channel name, the account id and
the platform's language as a hint, signed with the connectors' secret (without it the
REST channel would not believe the account id: bot/channels/contract.py); the REST
channel pseudonymises and redacts it,
and the replies, buttons and the log are the same as in the web chat. The connectors'
own texts (a refusal, "only text messages") come from the knowledge base as the action
server reads it: a trainer's edit reaches them within seconds, without a restart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from bot import settings
from bot.channels import contract
from bot.knowledge.reload import LiveKnowledge
from bot.settings import LANGUAGES

logger = logging.getLogger(__name__)
# The chat command the REST channel turns into a greeting (bot/rasa_plugins/rest_channel.py).
GREETING = "/start"


@dataclass(frozen=True)
class CoachReply:
    text: str
    buttons: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (title, payload)


def rest_url(environ: Mapping[str, str]) -> str:
    """The coach's REST channel: COACH_REST_URL (`make run` sets it), else the local Rasa server on RASA_PORT."""
    return environ.get("COACH_REST_URL") or f"http://127.0.0.1:{environ.get('RASA_PORT', '5005')}/webhooks/rest/webhook"


def language_of(locale: str | None) -> str | None:
    """'es-ES', 'es_419', 'it' -> a language the coach speaks, else None."""
    code = (locale or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


class CoachClient:
    """`ask` for asyncio connectors (Telegram), `ask_blocking` for threaded ones (Slack's Bolt)."""

    def __init__(self, webhook_url: str, channel: str, timeout: float = 60.0) -> None:
        self.webhook_url = webhook_url
        self.channel = channel
        self.timeout = timeout
        self._async_http: httpx.AsyncClient | None = None
        self._http = httpx.Client(timeout=timeout)
        current = settings.load()
        self.knowledge = LiveKnowledge(current.knowledge_dir)
        self.secret = contract.load_secret(current)

    def _request(self, account: str, text: str, locale: str | None) -> dict:
        """httpx's arguments for one message: the body and the headers that sign exactly that body."""
        metadata = {"channel": self.channel}
        hint = language_of(locale)
        if hint:
            metadata["language_hint"] = hint
        # A bare mention ("@CoachBot" and nothing else) is someone saying hello.
        message = {"sender": account, "message": contract.read_part(text).strip() or GREETING, "metadata": metadata}
        body = json.dumps(message).encode()
        return {"content": body, "headers": {"Content-Type": "application/json", **contract.sign(self.secret, body)}}

    async def ask(self, account: str, text: str, locale: str | None = None) -> list[CoachReply]:
        if self._async_http is None:  # created on the connector's own event loop
            self._async_http = httpx.AsyncClient(timeout=self.timeout)
        try:
            response = await self._async_http.post(self.webhook_url, **self._request(account, text, locale))
            return self._replies(response, locale)
        except httpx.HTTPError as error:
            return self._unavailable(error, locale)

    def ask_blocking(self, account: str, text: str, locale: str | None = None) -> list[CoachReply]:
        try:
            return self._replies(self._http.post(self.webhook_url, **self._request(account, text, locale)), locale)
        except httpx.HTTPError as error:
            return self._unavailable(error, locale)

    def _replies(self, response: httpx.Response, locale: str | None) -> list[CoachReply]:
        """The coach's replies; on any failure, one reply saying so (Rasa logged the message if it arrived)."""
        try:
            response.raise_for_status()
            replies = [
                CoachReply(r.get("text") or "", tuple((b["title"], b["payload"]) for b in r.get("buttons") or ()))
                for r in response.json()
            ]
        except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as error:
            return self._unavailable(error, locale)
        return _merged(replies) or self._unavailable(None, locale)

    def _unavailable(self, error: Exception | None, locale: str | None) -> list[CoachReply]:
        logger.warning(
            "The coach did not answer a %s message: %s", self.channel, error.__class__.__name__ if error else "no reply"
        )
        return [CoachReply(self.say("coach_unavailable", locale))]

    def say(self, key: str, locale: str | None) -> str:
        """A connector's own text (a refusal, an unsupported message) in the user's language."""
        return self.knowledge.get().conversation[language_of(locale) or "en"].texts[key][0]


def _merged(replies: list[CoachReply]) -> list[CoachReply]:
    """Rasa's REST channel splits a reply without buttons into paragraphs; a chat shows it as one message."""
    merged: list[CoachReply] = []
    for reply in replies:
        if merged and not merged[-1].buttons and reply.text:
            merged[-1] = CoachReply(f"{merged[-1].text}\n\n{reply.text}", reply.buttons)
        else:
            merged.append(reply)
    return merged
