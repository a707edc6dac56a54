"""Erasing a person (/forget, confirmed): everything kept about them, before the coach says so.

The action (actions/actions.py) says "forgotten" only when `erase` returned; if it raised, the
person is told that nothing could be erased and to try again (replies.py `erasure_failed`).
What is kept about a person, by pseudonym, and how it goes:
- the adoption log's rows and what trainers noted about them (`LogStore.forget`); the rows of
  this very turn are still on their way, and the outbox forgets them after delivering them;
- training examples a trainer made of their messages (data/nlu/learned_*.yml): found through
  the texts of their log rows, the only place a trainer picks them from, so no list of who
  said what is kept for this (it would be one more copy of personal data to protect);
- the conversation in the tracker store; the turn that says "forgotten" is erased again when
  Rasa saves it (bot/rasa_plugins/tracker_store.py), since Rasa writes the tracker after the action;
- their follow-ups: consent (and the chat address it keeps), planned messages, pulse scores;
- their Telegram membership, last: while anything before it fails, they can still ask again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.adoption_log.store import MessageRow
from bot.channels.access import Members
from bot.followups.store import FollowupStore
from bot.learning.examples import forget_examples
from bot.privacy.retention import EVENTS, delete_tracker_events
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.adoption_log.store import LogStore


@dataclass(frozen=True)
class Erased:
    learned_examples: int
    log_rows: int
    tracker_events: int
    membership: bool


def erase(settings: Settings, store: LogStore, user_id: str, sender_id: str) -> Erased:
    """Erases the person whose pseudonym is `user_id` (the tracker knows them as `sender_id`).
    Raises whatever stopped it (a database, a file); run it again to finish."""
    learned = forget_examples(settings.data_dir, _texts(store, user_id))
    log_rows = store.forget(user_id)
    tracker_events = delete_tracker_events(settings.tracker_db_url, EVENTS.c.sender_id == sender_id)
    FollowupStore(store.engine).forget(user_id)
    return Erased(learned, log_rows, tracker_events, Members(store.engine).revoke(user_id))


def _texts(store: LogStore, user_id: str) -> list[str]:
    query = select(MessageRow.text).where(
        MessageRow.user_id == user_id, MessageRow.direction == "user", MessageRow.text.is_not(None)
    )
    with store.engine.connect() as connection:
        return list(connection.execute(query).scalars())
