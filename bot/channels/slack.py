"""The Slack connector (slack-bolt, Socket Mode): no public URL, the app dials out.

    python -m bot.channels.slack        (make run starts it when SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set)

Direct messages are answered in the conversation; a mention in a channel is answered
in a thread. Follow-ups are Block Kit buttons. The user's Slack locale is the language
hint. Only the workspace the app is installed in is served.

The App Home tab is the follow-ups' switch: when a person opens it (`app_home_opened`), the
connector publishes (`views.publish`) where they stand and one button, "yes, check in" or "stop
these messages"; the button is the same command as `/nudges on|off` in a direct message
(bot/followups/door.py). The view keeps the person's direct-message channel with the app (from
the event) as its private metadata: that is where follow-ups go once they agree.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import settings as coach_settings
from bot.adoption_log.store import LogStore
from bot.channels.rasa_client import CoachClient, CoachReply, rest_url
from bot.followups.door import FollowupDoor
from bot.followups.texts import NUDGES_OFF, NUDGES_ON
from bot.privacy.pseudonyms import load_key
from bot.privacy.teams import TeamDirectory

logger = logging.getLogger(__name__)

CHANNEL = "slack"
BUTTON_ACTION = re.compile(r"^coach_button_\d+$")
HOME_ACTION = re.compile(r"^coach_home_\d+$")
_MENTION = re.compile(r"<@[A-Z0-9]+>")
_IGNORED_SUBTYPES = {"bot_message", "message_deleted", "channel_join", "channel_leave"}


@dataclass(frozen=True)
class SlackConfig:
    bot_token: str
    app_token: str
    coach_url: str
    api_base_url: str | None = None  # tests point this at a local Web API server

    @classmethod
    def from_environment(cls, environ=os.environ) -> SlackConfig:
        return cls(
            bot_token=environ["SLACK_BOT_TOKEN"],
            app_token=environ["SLACK_APP_TOKEN"],
            coach_url=rest_url(environ),
            api_base_url=environ.get("SLACK_API_BASE_URL") or None,
        )


def blocks(reply: CoachReply, action: str = "coach_button") -> list[dict[str, Any]]:
    """The reply as Block Kit: its text, then its buttons (action ids `<action>_<n>`)."""
    result: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": reply.text[:3000]}}]
    if reply.buttons:
        result.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"{action}_{i}",
                        "text": {"type": "plain_text", "text": title[:75]},
                        "value": payload,
                    }
                    for i, (title, payload) in enumerate(reply.buttons)
                ],
            }
        )
    return result


def _web_client(token: str, api_base_url: str | None) -> WebClient:
    """Slack's Web API client; `api_base_url` only for a local stand-in (the tests' fake Slack)."""
    return WebClient(token=token, base_url=api_base_url) if api_base_url else WebClient(token=token)


class SlackConnector:
    def __init__(self, config: SlackConfig, coach: CoachClient, door: FollowupDoor | None = None) -> None:
        self.config, self.coach = config, coach
        self.door = door  # the follow-ups' commands and buttons (bot/followups/door.py)
        client = _web_client(config.bot_token, config.api_base_url)
        self.app = App(client=client)
        identity = client.auth_test()
        self.team_id, self.bot_user = identity["team_id"], identity["user_id"]
        self._locales: OrderedDict[str, str | None] = OrderedDict()
        self.app.event("message")(self.on_message)
        self.app.event("app_mention")(self.on_mention)
        self.app.action(BUTTON_ACTION)(self.on_button)
        self.app.event("app_home_opened")(self.on_home_opened)
        self.app.action(HOME_ACTION)(self.on_home_button)

    def handler(self) -> SocketModeHandler:
        web_client = _web_client(self.config.app_token, self.config.api_base_url)
        return SocketModeHandler(self.app, self.config.app_token, web_client=web_client)

    # --- events ---------------------------------------------------------------
    def on_message(self, event: dict[str, Any], client: WebClient, body: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype") in _IGNORED_SUBTYPES:
            return
        user = event.get("user") or (event.get("message") or {}).get("user")
        if not user or not self._same_workspace(body, event):
            return
        locale = self._locale(client, user)
        if event.get("subtype") == "message_changed":
            self._post(client, event["channel"], None, CoachReply(self.coach.say("edited_message", locale)))
        elif event.get("subtype") == "file_share" or not (event.get("text") or "").strip():
            self._post(client, event["channel"], None, CoachReply(self.coach.say("unsupported_message", locale)))
        else:
            self._converse(client, event["channel"], None, user, event["text"], locale)

    def on_mention(self, event: dict[str, Any], client: WebClient, body: dict[str, Any]) -> None:
        user = event.get("user")
        if not user or event.get("bot_id") or not self._same_workspace(body, event):
            return
        text = _MENTION.sub("", event.get("text") or "").strip()
        thread = event.get("thread_ts") or event.get("ts")
        self._converse(client, event["channel"], thread, user, text, self._locale(client, user))

    def on_button(self, ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user = (body.get("user") or {}).get("id")
        action = (body.get("actions") or [{}])[0]
        channel = (body.get("channel") or {}).get("id")
        message = body.get("message") or {}
        if not (user and channel and action.get("value")) or (body.get("team") or {}).get("id") not in (
            None,
            self.team_id,
        ):
            return
        try:
            # A button answers once: keep the text, drop the buttons.
            client.chat_update(
                channel=channel,
                ts=str(message.get("ts") or ""),
                text=message.get("text", ""),
                blocks=[b for b in message.get("blocks", []) if b.get("type") != "actions"],
            )
        except SlackApiError as error:
            logger.info("Could not remove the buttons: %s", error.response.get("error"))
        self._converse(client, channel, message.get("thread_ts"), user, action["value"], self._locale(client, user))

    def on_home_opened(self, event: dict[str, Any], client: WebClient, body: dict[str, Any]) -> None:
        user = event.get("user")
        if self.door is None or not user or event.get("tab") != "home" or not self._same_workspace(body, event):
            return
        self._publish_home(self.door, client, user, event.get("channel"), self._locale(client, user))

    def on_home_button(self, ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user = (body.get("user") or {}).get("id")
        value = (body.get("actions") or [{}])[0].get("value")
        if self.door is None or not user or value not in (NUDGES_ON, NUDGES_OFF):
            return
        if (body.get("team") or {}).get("id") not in (None, self.team_id):
            return
        channel = (body.get("view") or {}).get("private_metadata")
        locale = self._locale(client, user)
        self.door.handle(user, _direct(channel), value, locale)
        self._publish_home(self.door, client, user, channel, locale)

    @staticmethod
    def _publish_home(
        door: FollowupDoor, client: WebClient, user: str, channel: str | None, locale: str | None
    ) -> None:
        view = {
            "type": "home",
            "private_metadata": _direct(channel) or "",
            "blocks": blocks(door.home(user, locale), action="coach_home"),
        }
        client.views_publish(user_id=user, view=view)

    # --- helpers ----------------------------------------------------------------
    def _same_workspace(self, body: dict[str, Any], event: dict[str, Any]) -> bool:
        return (
            body.get("team_id", self.team_id) == self.team_id and event.get("user_team", self.team_id) == self.team_id
        )

    def _locale(self, client: WebClient, user: str) -> str | None:
        if user not in self._locales:
            try:
                self._locales[user] = client.users_info(user=user, include_locale=True)["user"].get("locale")
            except (SlackApiError, KeyError):
                self._locales[user] = None
            while len(self._locales) > 5000:
                self._locales.popitem(last=False)
        return self._locales[user]

    def _converse(
        self, client: WebClient, channel: str, thread: str | None, user: str, text: str, locale: str | None
    ) -> None:
        private = _direct(channel) if thread is None else None  # never a thread
        replies = self.door.handle(user, private, text, locale) if self.door else None
        if replies is None:
            replies = self.coach.ask_blocking(user, text, locale)
            offer = self.door.offer(user, private, text, locale) if self.door else None
            replies = [*replies, offer] if offer else replies
        for reply in replies:
            self._post(client, channel, thread, reply)

    @staticmethod
    def _post(client: WebClient, channel: str, thread: str | None, reply: CoachReply) -> None:
        client.chat_postMessage(channel=channel, thread_ts=thread, text=reply.text, blocks=blocks(reply))


def _direct(channel: str | None) -> str | None:
    """A direct message's channel (D...): the one place follow-ups may go, never a channel."""
    return channel if channel and channel.startswith("D") else None


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="slack: %(levelname)s %(message)s")
    try:
        config = SlackConfig.from_environment()
        current = coach_settings.load()
        coach = CoachClient(config.coach_url, CHANNEL)
        door = FollowupDoor(
            CHANNEL,
            load_key(current.secret_key, current.secret_key_file),
            LogStore(current.log_db_url),
            coach.knowledge.get,
            store_text=current.store_text,
            teams=TeamDirectory(current.teams_file),
        )
        connector = SlackConnector(config, coach, door)
    except (KeyError, SlackApiError, coach_settings.SettingsError) as error:
        print(f"slack: not started: {error}", file=sys.stderr)
        return 2
    connector.handler().start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
