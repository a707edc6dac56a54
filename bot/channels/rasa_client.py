"""What every connector (Telegram, Slack) uses to talk to the one Rasa server.

The connectors only translate: a chat message in, the coach's replies out. Each
message goes to the coach's REST channel with the channel name, the account id and
the platform's language as a hint; the REST channel pseudonymises and redacts it,
and the replies, buttons and the log are the same as in the web chat.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import httpx

from bot.knowledge import base as knowledge
from bot import settings
from bot.settings import LANGUAGES

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CoachReply:
    text: str
    buttons: Tuple[Tuple[str, str], ...] = field(default_factory=tuple)  # (title, payload)


def language_of(locale: Optional[str]) -> Optional[str]:
    """'es-ES', 'es_419', 'it' -> a language the coach speaks, else None."""
    code = (locale or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


class CoachClient:
    """`ask` for asyncio connectors (Telegram), `ask_blocking` for threaded ones (Slack's Bolt)."""

    def __init__(self, webhook_url: str, channel: str, timeout: float = 60.0) -> None:
        self.webhook_url = webhook_url
        self.channel = channel
        self.timeout = timeout
        self._async_http: Optional[httpx.AsyncClient] = None
        self._http = httpx.Client(timeout=timeout)
        kb = knowledge.load(settings.load().knowledge_dir)
        self.texts = {lang: texts.texts for lang, texts in kb.conversation.items()}

    def _body(self, account: str, text: str, locale: Optional[str]) -> dict:
        metadata = {"channel": self.channel}
        hint = language_of(locale)
        if hint:
            metadata["language_hint"] = hint
        return {"sender": account, "message": text, "metadata": metadata}

    async def ask(self, account: str, text: str, locale: Optional[str] = None) -> List[CoachReply]:
        if self._async_http is None:  # created on the connector's own event loop
            self._async_http = httpx.AsyncClient(timeout=self.timeout)
        try:
            response = await self._async_http.post(self.webhook_url, json=self._body(account, text, locale))
            return self._replies(response, locale)
        except httpx.HTTPError as error:
            return self._unavailable(error, locale)

    def ask_blocking(self, account: str, text: str, locale: Optional[str] = None) -> List[CoachReply]:
        try:
            return self._replies(self._http.post(self.webhook_url, json=self._body(account, text, locale)), locale)
        except httpx.HTTPError as error:
            return self._unavailable(error, locale)

    def _replies(self, response: httpx.Response, locale: Optional[str]) -> List[CoachReply]:
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

    def _unavailable(self, error: Optional[Exception], locale: Optional[str]) -> List[CoachReply]:
        logger.warning("The coach did not answer a %s message: %s", self.channel, error.__class__.__name__ if error else "no reply")
        return [CoachReply(self.say("coach_unavailable", locale))]

    def say(self, key: str, locale: Optional[str]) -> str:
        """A connector's own text (a refusal, an unsupported message) in the user's language."""
        return self.texts[language_of(locale) or "en"][key][0]


def _merged(replies: List[CoachReply]) -> List[CoachReply]:
    """Rasa's REST channel splits a reply without buttons into paragraphs; a chat shows it as one message."""
    merged: List[CoachReply] = []
    for reply in replies:
        if merged and not merged[-1].buttons and reply.text:
            merged[-1] = CoachReply(f"{merged[-1].text}\n\n{reply.text}", reply.buttons)
        else:
            merged.append(reply)
    return merged
