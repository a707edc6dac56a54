"""Sends what is due, exactly once, through the person's channel. Run `tick(now)` often.

Nothing is sent outside working time: a tick then does nothing, and what fell due waits for
the next working hour (or expires with its week, so the weekly cap holds). Each message is
claimed in the database before it is sent (`FollowupStore.claim`): with two replicas, one
sends it. A replica that stops between its claim and the "sent" mark leaves a claim that is
released after LEASE; that message is then sent again by another replica: the one moment a
person could get a message twice is a crash between the platform accepting it and the mark.
A delivery that fails is tried again RETRY_AFTER later (in working time), three times at most.

A dispatcher takes only the messages of the channels it has a sender for: the web chat has none
in the worker (it cannot write first), so its messages wait, due, for the person's page, which
takes them with `deliver_to` (bot/followups/page.py). Each message sent leaves a bot row in the
adoption log (bot/followups/logbook.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Mapping
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.adoption_log.records import reply_metadata
from bot.followups import history, texts
from bot.followups.logbook import Logbook
from bot.followups.schedule import Schedule
from bot.followups.store import Consent, FollowupStore, Planned
from bot.followups.texts import Outgoing
from bot.knowledge.base import KnowledgeBase

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)
RETRY_AFTER = dt.timedelta(minutes=30)


class Sender(Protocol):
    """A channel's way to write to someone first (bot/channels/telegram.py, slack.py); raises if it could not."""

    def send(self, address: str, message: Outgoing) -> None: ...


# The message for a planned one, in the person's language (None: nothing left to say).
Composer = Callable[[Planned, Consent], "Outgoing | None"]


def composer(engine: Engine, knowledge: Callable[[], KnowledgeBase]) -> Composer:
    """Composes in the language the coach last answered the person in (else their platform's)."""

    def compose(message: Planned, consent: Consent) -> Outgoing | None:
        with engine.connect() as connection:
            spoken = history.last_language(connection, message.user_id)
        return texts.compose(knowledge(), message, texts.language(spoken, consent.language))

    return compose


def replica_name() -> str:
    """Who holds a claim: this machine and process."""
    return f"{socket.gethostname()}:{os.getpid()}"[-64:]


class Dispatcher:
    def __init__(
        self,
        store: FollowupStore,
        schedule: Schedule,
        senders: Mapping[str, Sender],
        compose: Composer,
        replica: str,
        logbook: Logbook,
    ) -> None:
        self.store, self.schedule, self.senders = store, schedule, senders
        self.compose, self.replica, self.logbook = compose, replica, logbook

    def tick(self, now: dt.datetime) -> int:
        """Sends the messages due at `now`; returns how many were sent."""
        self._tidy(now)
        if not self.schedule.is_working_time(now):
            return 0
        return sum(self._deliver(message_id, now) for message_id in self.store.due(now, self.senders))

    def deliver_to(self, user_id: str, now: dt.datetime) -> int:
        """Sends what is due for one person at `now`, working time or not: for a page they opened
        themselves (the web chat), where a message interrupts nobody."""
        self._tidy(now)  # no worker may run beside the web chat to do it
        return sum(self._deliver(message_id, now) for message_id in self.store.due(now, self.senders, user_id))

    def _tidy(self, now: dt.datetime) -> None:
        """Claims of a replica that stopped are due again; what outlived its week expires."""
        self.store.release_stale(now - LEASE)
        self.store.expire(now)

    def _deliver(self, message_id: int, now: dt.datetime) -> bool:
        claimed = self.store.claim(message_id, self.replica, now)
        if claimed is None:  # another replica has it, or the person said stop meanwhile
            return False
        message, consent = claimed
        sender = self.senders.get(consent.channel)
        outgoing = self.compose(message, consent)
        if sender is None or consent.address is None or outgoing is None:
            # No way to write (a connector not configured here, an entry removed): not for this replica to retry.
            self.store.not_sent(message_id, self.replica, self.schedule.next_working_time(now + RETRY_AFTER))
            return False
        try:
            sender.send(consent.address, outgoing)
        except Exception as error:  # a platform's failure must not stop the other deliveries
            logger.warning("A %s follow-up was not delivered: %s", consent.channel, error.__class__.__name__)
            self.store.not_sent(message_id, self.replica, self.schedule.next_working_time(now + RETRY_AFTER))
            return False
        if self.store.sent(message_id, self.replica, now):  # not if the person was erased meanwhile
            self._log(message, consent, outgoing, now)
        return True

    def _log(self, message: Planned, consent: Consent, outgoing: Outgoing, now: dt.datetime) -> None:
        try:
            with self.store.engine.connect() as connection:
                team = history.team_of(connection, message.user_id)
            metadata = reply_metadata(language=outgoing.language or "en", kb_entry=None, feedback=None, erase=False)
            self.logbook.bot_row(message.user_id, consent.channel, team, now, outgoing.text, metadata)
        except SQLAlchemyError as error:  # it went out: a missing row must not make it go out again
            logger.error("A %s follow-up was sent but not logged: %s", consent.channel, error.__class__.__name__)
