"""Sending a digest: the e-mail through the configured SMTP server (STARTTLS unless told
otherwise), and the chat message with its one chart to a Telegram chat (python-telegram-bot's
`Bot.send_photo`) and to a Slack channel (slack_sdk's `files_upload_v2`), with the coach's own
bot tokens. Every sender is synchronous and blocking: the worker and the command line call
them from plain threads, never from an event loop (Telegram's client gets one of its own).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.digest.render import Digest
from bot.digest.settings import DigestSettings, Smtp

SMTP_TIMEOUT = 30  # seconds
CAPTION_LIMIT = 1024  # Telegram's limit for a photo's caption


class DeliveryError(RuntimeError):
    """A destination refused or could not be reached; the message names it."""


def send_email(smtp: Smtp, digest: Digest, recipients: tuple[str, ...]) -> None:
    message = digest.email(smtp.sender, recipients)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT) as server:
            if smtp.starttls:
                server.starttls(context=ssl.create_default_context())
            if smtp.user:
                server.login(smtp.user, smtp.password or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"e-mail through {smtp.host}:{smtp.port} failed: {error}") from error


def send_telegram(token: str, chat: str, digest: Digest, api_url: str | None = None) -> None:
    from telegram import Bot
    from telegram.error import TelegramError

    async def send() -> None:
        bot = Bot(token, base_url=api_url, base_file_url=api_url) if api_url else Bot(token)
        async with bot:
            await bot.send_photo(chat_id=chat, photo=digest.chat_chart(), caption=digest.chat_text()[:CAPTION_LIMIT])

    try:
        asyncio.run(send())
    except TelegramError as error:
        raise DeliveryError(f"Telegram chat {chat} failed: {error}") from error


def send_slack(token: str, channel: str, digest: Digest, api_url: str | None = None) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError, SlackRequestError

    client = WebClient(token=token, base_url=api_url) if api_url else WebClient(token=token)
    try:
        client.files_upload_v2(
            channel=channel,
            content=digest.chat_chart(),
            filename="digest.png",
            title=digest.subject,
            initial_comment=digest.chat_text(),
        )
    except (SlackApiError, SlackRequestError, OSError) as error:
        raise DeliveryError(f"Slack channel {channel} failed: {error}") from error


@dataclass(frozen=True)
class Delivery:
    sent: list[str]  # the destinations that took the digest
    failed: list[str]  # why each other one did not
    skipped: list[str] = field(default_factory=list)  # digests not made, and why (fewer than 5 people)


def deliver(settings: DigestSettings, digest: Digest) -> Delivery:
    """Sends the digest wherever it is configured to go: e-mail to the company's or the team's
    recipients, and, for the company's digest, the chat message. Every destination is tried
    even when another fails. DeliveryError when there is nowhere to send it."""
    sends: dict[str, Callable[[], None]] = {}
    recipients = settings.recipients_of(digest.figures.team)
    smtp = settings.smtp
    if recipients and smtp:
        sends[f"e-mail to {len(recipients)} recipients"] = lambda: send_email(smtp, digest, recipients)
    if digest.figures.team is None:
        if settings.telegram_chat and settings.telegram_token:
            chat, token = settings.telegram_chat, settings.telegram_token
            sends[f"Telegram chat {chat}"] = lambda: send_telegram(token, chat, digest, settings.telegram_api_url)
        if settings.slack_channel and settings.slack_token:
            channel, slack_token = settings.slack_channel, settings.slack_token
            sends[f"Slack channel {channel}"] = lambda: send_slack(slack_token, channel, digest, settings.slack_api_url)
    if not sends:
        raise DeliveryError(nowhere(digest.figures.team))
    delivery = Delivery([], [])
    for name, send in sends.items():
        try:
            send()
            delivery.sent.append(name)
        except DeliveryError as error:
            delivery.failed.append(str(error))
    return delivery


def nowhere(team: str | None) -> str:
    from bot.digest.settings import TEAM_RECIPIENTS, team_key

    if team:
        return f"nowhere to send team {team}'s digest: set {TEAM_RECIPIENTS}{team_key(team)} (and SMTP_HOST)"
    return (
        "nowhere to send the digest: set COACH_DIGEST_RECIPIENTS (and SMTP_HOST, SMTP_FROM), "
        "COACH_DIGEST_SLACK_CHANNEL or COACH_DIGEST_TELEGRAM_CHAT"
    )
