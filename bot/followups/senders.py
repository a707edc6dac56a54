"""How the worker writes first, one sender per platform: the same buttons the connectors draw
(Telegram's inline keyboard, Slack's Block Kit), so a click comes back to the connector as any
button does and reaches bot/followups/door.py.

`send(address, message)` blocks until the platform accepted the message and raises if it did
not (the dispatcher then tries again later). The address is the private chat the person agreed
in: a Telegram chat id, a Slack DM channel id.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

from telegram import Bot

from bot.channels import slack, telegram
from bot.channels.rasa_client import CoachReply
from bot.followups.texts import Outgoing


def _as_reply(message: Outgoing) -> CoachReply:
    return CoachReply(message.text, message.buttons)


class TelegramSender:
    """python-telegram-bot's Bot on an event loop of its own: the worker is a plain loop, not asyncio."""

    def __init__(self, token: str, api_base_url: str | None = None) -> None:
        if api_base_url:  # a local stand-in (the tests' fake Telegram), as the connector takes it
            self._bot = Bot(token, base_url=api_base_url, base_file_url=api_base_url)
        else:
            self._bot = Bot(token)
        self._loop = asyncio.new_event_loop()
        self._started = False

    def send(self, address: str, message: Outgoing) -> None:
        self._loop.run_until_complete(self._send(int(address), _as_reply(message)))

    async def _send(self, chat_id: int, reply: CoachReply) -> None:
        if not self._started:
            await self._bot.initialize()
            self._started = True
        parts = telegram.split(reply.text)
        for index, part in enumerate(parts):
            markup = telegram.keyboard(reply) if index == len(parts) - 1 else None  # buttons under the last part
            await self._bot.send_message(chat_id, part, reply_markup=markup)

    def close(self) -> None:
        if self._started:
            self._loop.run_until_complete(self._bot.shutdown())
        self._loop.close()


class SlackSender:
    def __init__(self, bot_token: str, api_base_url: str | None = None) -> None:
        self._client = slack._web_client(bot_token, api_base_url)

    def send(self, address: str, message: Outgoing) -> None:
        reply = _as_reply(message)
        self._client.chat_postMessage(channel=address, text=reply.text, blocks=slack.blocks(reply))

    def close(self) -> None:
        pass


def from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, TelegramSender | SlackSender]:
    """A sender for each connector that `make run` would start with these settings."""
    senders: dict[str, TelegramSender | SlackSender] = {}
    if environ.get("TELEGRAM_TOKEN") and telegram.configuration_problem(environ) is None:
        config = telegram.TelegramConfig.from_environment(environ)
        senders[telegram.CHANNEL] = TelegramSender(config.token, config.api_base_url)
    if environ.get("SLACK_BOT_TOKEN") and environ.get("SLACK_APP_TOKEN"):
        senders[slack.CHANNEL] = SlackSender(environ["SLACK_BOT_TOKEN"], environ.get("SLACK_API_BASE_URL") or None)
    return senders
