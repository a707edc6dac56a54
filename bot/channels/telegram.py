"""The Telegram connector (python-telegram-bot 22): long polling by default, so it
works from a laptop or behind a firewall; a webhook when TELEGRAM_WEBHOOK_URL is set.

    python -m bot.channels.telegram       (make run starts it when TELEGRAM_TOKEN is set)

Commands /start /help /privacy /forget /lang are passed on as text: the coach's REST
channel turns them into intents, so every channel behaves the same. Buttons are an
inline keyboard; a click sends the button's payload. In groups the bot answers only
when mentioned or replied to. Who may talk to it: bot/channels/access.py.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot import settings as coach_settings
from bot.adoption_log.store import LogStore
from bot.channels.access import Access, check_config, parse_ids
from bot.channels.rasa_client import CoachClient, CoachReply, rest_url
from bot.followups.door import FollowupDoor
from bot.privacy.pseudonyms import load_key
from bot.privacy.teams import TeamDirectory

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096  # Telegram's limit for one message


@dataclass(frozen=True)
class TelegramConfig:
    token: str
    coach_url: str
    allowed: frozenset
    join_code: str | None
    api_base_url: str | None = None  # tests point this at a local Bot API server
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_port: int = 8443
    webhook_listen: str = "127.0.0.1"  # behind the HTTPS proxy that Telegram calls; another address only if set

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> TelegramConfig:
        return cls(
            token=environ["TELEGRAM_TOKEN"],
            coach_url=rest_url(environ),
            allowed=parse_ids(environ.get("TELEGRAM_ALLOWED_USERS")),
            join_code=environ.get("TELEGRAM_JOIN_CODE") or None,
            api_base_url=environ.get("TELEGRAM_API_BASE_URL") or None,
            webhook_url=environ.get("TELEGRAM_WEBHOOK_URL") or None,
            webhook_secret=environ.get("TELEGRAM_WEBHOOK_SECRET") or None,
            webhook_port=_port(environ.get("TELEGRAM_WEBHOOK_PORT", "")),
            webhook_listen=environ.get("TELEGRAM_WEBHOOK_LISTEN", "").strip() or "127.0.0.1",
        )


def _port(value: str) -> int:
    value = value.strip() or "8443"
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"TELEGRAM_WEBHOOK_PORT must be a port number (1-65535), not {value!r}")
    return int(value)


def configuration_problem(environ: Mapping[str, str] = os.environ) -> str | None:
    """Why the connector cannot start with these settings, or None: `make run` starts the coach
    without it and says why, rather than failing as a whole."""
    try:
        config = TelegramConfig.from_environment(environ)
        check_config(config.allowed, config.join_code)
    except KeyError as missing:
        return f"{missing.args[0]} is not set"
    except ValueError as error:  # AccessError included
        return str(error)
    if config.webhook_url and not config.webhook_secret:
        return "TELEGRAM_WEBHOOK_SECRET is required with a webhook (TELEGRAM_WEBHOOK_URL)"
    if config.webhook_url and importlib.util.find_spec("tornado") is None:
        return "a webhook (TELEGRAM_WEBHOOK_URL) needs python-telegram-bot's webhooks extra: pip install tornado"
    return None


def keyboard(reply: CoachReply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    # Two buttons a row: readable on a phone.
    buttons = [InlineKeyboardButton(title, callback_data=payload[:64]) for title, payload in reply.buttons]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def addressed_text(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The text meant for the coach, or None when a group message is not addressed to it."""
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    mention = f"@{bot_username}"
    replied_to_bot = (
        message.reply_to_message is not None
        and message.reply_to_message.from_user is not None
        and message.reply_to_message.from_user.id == bot_id
    )
    if mention.lower() in text.lower():
        return re.sub(re.escape(mention), "", text, flags=re.IGNORECASE).strip()
    return text if replied_to_bot else None


class TelegramConnector:
    def __init__(
        self, config: TelegramConfig, coach: CoachClient, access: Access, door: FollowupDoor | None = None
    ) -> None:
        self.config, self.coach, self.access = config, coach, access
        self.door = door  # the follow-ups' commands and buttons (bot/followups/door.py)

    def build(self) -> Application:
        builder = ApplicationBuilder().token(self.config.token)
        if self.config.api_base_url:
            builder = builder.base_url(self.config.api_base_url).base_file_url(self.config.api_base_url)
        application = builder.build()
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(MessageHandler(filters.UpdateType.EDITED, self.on_edited))
        application.add_handler(MessageHandler(filters.ALL, self.on_message))
        application.add_error_handler(self.on_error)
        return application

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or user.is_bot:
            return
        locale = user.language_code
        if message.text is None:
            if message.chat.type == ChatType.PRIVATE:
                await message.reply_text(await self._say("unsupported_message", locale))
            return
        text = addressed_text(message, context.bot.username, context.bot.id)
        if text is None:
            return
        account = str(user.id)
        # The access checks are database work: off the event loop, which serves every chat.
        if not await asyncio.to_thread(self.access.is_allowed, account):
            answer = await asyncio.to_thread(self.access.admit, account, text)
            await message.reply_text(await self._say(answer, locale))
            return
        await self._converse(message, account, text, locale)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None:
            return
        await query.answer()
        if user is None or not query.data or not await asyncio.to_thread(self.access.is_allowed, str(user.id)):
            return
        if isinstance(query.message, Message):  # not an old message Telegram no longer gives access to
            try:
                # A button answers once: remove the keyboard so it cannot be clicked twice.
                await query.edit_message_reply_markup(reply_markup=None)
            except TelegramError as error:
                logger.info("Could not remove a keyboard: %s", error)
            await self._converse(query.message, str(user.id), query.data, user.language_code)

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.edited_message, update.effective_user
        if message is not None and user is not None and message.chat.type == ChatType.PRIVATE:
            await message.reply_text(await self._say("edited_message", user.language_code))

    async def _say(self, key: str, locale: str | None) -> str:
        """A connector's own text; off the event loop, since it may reload the knowledge files."""
        return await asyncio.to_thread(self.coach.say, key, locale)

    async def _converse(self, message: Message, account: str, text: str, locale: str | None) -> None:
        await message.chat.send_action("typing")
        # The follow-ups' door does database work: off the event loop, like the access checks.
        private = str(message.chat.id) if message.chat.type == ChatType.PRIVATE else None
        replies = await asyncio.to_thread(self.door.handle, account, private, text, locale) if self.door else None
        if replies is None:
            replies = await self.coach.ask(account, text, locale)
            offer = await asyncio.to_thread(self.door.offer, account, private, text, locale) if self.door else None
            replies = [*replies, offer] if offer else replies
        for reply in replies:
            parts = split(reply.text)
            for index, part in enumerate(parts):
                markup = keyboard(reply) if index == len(parts) - 1 else None  # buttons under the last part
                await message.chat.send_message(part, reply_markup=markup)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("Telegram update failed: %s", context.error.__class__.__name__, exc_info=context.error)


def split(text: str) -> list[str]:
    """Telegram's message limit, cut at paragraph or line ends where possible."""
    parts, rest = [], text or "…"
    while len(rest) > MAX_TEXT:
        cut = max(rest.rfind("\n", 0, MAX_TEXT), rest.rfind(" ", 0, MAX_TEXT))
        cut = cut if cut > MAX_TEXT // 2 else MAX_TEXT
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip()
    return parts + [rest]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="telegram: %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    problem = configuration_problem()
    if problem:
        print(f"telegram: not started: {problem}", file=sys.stderr)
        return 2
    config = TelegramConfig.from_environment()
    try:
        current = coach_settings.load()
        store = LogStore(current.log_db_url)
        store.migrate()
    except (coach_settings.SettingsError, SQLAlchemyError) as error:
        print(f"telegram: not started: {error}", file=sys.stderr)
        return 2
    key = load_key(current.secret_key, current.secret_key_file)
    access = Access(CHANNEL, key, store.engine, config.allowed, config.join_code)
    coach = CoachClient(config.coach_url, CHANNEL)
    door = FollowupDoor(
        CHANNEL, key, store, coach.knowledge.get, store_text=current.store_text, teams=TeamDirectory(current.teams_file)
    )
    application = TelegramConnector(config, coach, access, door).build()
    try:
        _serve(application, config)
    except TelegramError as error:  # Telegram unreachable, or the token refused: `make run` tries again later
        print(f"telegram: stopped: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 1
    return 0


def _serve(application: Application, config: TelegramConfig) -> None:
    if config.webhook_url:
        application.run_webhook(
            listen=config.webhook_listen,
            port=config.webhook_port,
            webhook_url=config.webhook_url,
            secret_token=config.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    sys.exit(main())
