"""The web chat's follow-ups. The web chat cannot write first: what is due for someone who agreed
there waits, due, until their page opens (the worker's dispatcher has no web chat sender, so it
leaves those messages alone), and the page then shows it.

`due(account)` is what the page asks when it opens (bot/channels/webchat/channel.py). It plans the
person first (the worker runs only beside Telegram or Slack), then takes each message due for
them as the dispatcher takes any: claimed in the database, so two tabs or two replicas show it
once; composed in their language; marked sent and logged as a bot row. The answers come back
through the web chat's webhook to the door (`handle`), like a connector's; so does `/nudges on`,
after which the page is the person's "address" (there is no chat to write to: it comes to look).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.adoption_log.store import LogStore
from bot.channels.rasa_client import CoachReply
from bot.db import utc_now
from bot.followups.dispatcher import Dispatcher, composer, replica_name
from bot.followups.door import FollowupDoor
from bot.followups.logbook import Logbook
from bot.followups.planner import Planner
from bot.followups.schedule import Schedule
from bot.followups.store import FollowupStore
from bot.followups.texts import Outgoing
from bot.knowledge.base import KnowledgeBase
from bot.privacy.pseudonyms import pseudonym
from bot.privacy.teams import TeamDirectory

WEBCHAT = "webchat"
PAGE = "page"  # the address of whoever agreed in the web chat: their page, which fetches what is due


class _Shown:
    """The web chat's "sender": what the page is about to show."""

    def __init__(self) -> None:
        self.messages: list[Outgoing] = []

    def send(self, address: str, message: Outgoing) -> None:
        self.messages.append(message)


class PageFollowups:
    def __init__(
        self,
        log: LogStore,
        key: bytes,
        knowledge: Callable[[], KnowledgeBase],
        schedule: Schedule,
        clock: Callable[[], dt.datetime] = utc_now,
        store_text: bool = True,
        teams: TeamDirectory | None = None,
    ) -> None:
        self.key, self.clock, self.schedule = key, clock, schedule
        self.door = FollowupDoor(WEBCHAT, key, log, knowledge, clock, store_text, teams)
        self.store, self.logbook = FollowupStore(log.engine), Logbook(log, key)
        self.planner = Planner(self.store, schedule, lambda: knowledge().entries)
        self.compose, self.replica = composer(log.engine, knowledge), replica_name()

    def handle(self, account: str, text: str, locale: str | None) -> list[CoachReply] | None:
        """The follow-ups' own commands and buttons (bot/followups/door.py); None: for the coach."""
        return self.door.handle(account, PAGE, text, locale)

    def offer(self, account: str, said: str, locale: str | None) -> CoachReply | None:
        return self.door.offer(account, PAGE, said, locale)

    def due(self, account: str) -> list[CoachReply]:
        """What the person's page shows now, each message once; nothing for someone who did not agree."""
        user_id, now = pseudonym(self.key, WEBCHAT, account), self.clock()
        self.planner.plan(now, [user_id])
        shown = _Shown()
        dispatcher = Dispatcher(self.store, self.schedule, {WEBCHAT: shown}, self.compose, self.replica, self.logbook)
        dispatcher.deliver_to(user_id, now)
        return [CoachReply(message.text, message.buttons) for message in shown.messages]
