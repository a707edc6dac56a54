"""Rasa's SQL tracker store, with the coach's privacy rules.

- It lives in the database that DATABASE_URL names (var/tracker.db by default), so
  conversations survive a restart and one setting moves everything to PostgreSQL.
- With COACH_STORE_TEXT off, user messages are stored without their text.
- When a reply carries the erasure mark (the user confirmed /forget), the whole
  conversation is deleted instead of saved. The action already erased what was stored
  before it said so (bot/privacy/erasure.py); this erases the turn itself, which Rasa
  saves after the action ran.
- Rasa counts a conversation's stored events with a query on every save, to find the
  new ones. The store remembers on the tracker how many it loaded (or last saved)
  instead; for a tracker it did not load itself it asks which events are stored.
- Rasa loads a conversation from the database on every message: every event since the
  session started, as JSON, replayed one by one, a cost that grows with the conversation.
  The store keeps the trackers it saved last (up to `KEPT_EVENTS` events in all), each with the
  conversation's fingerprint in the database right after its save: how many events are
  stored and the last one's id. A message then costs one indexed query; when the
  fingerprint has not changed, nobody else wrote or erased the conversation since (another
  replica, `/forget`, `coach forget`, retention) and the kept tracker is the one the database
  would give back. A tracker is kept only when the database changed by exactly its own
  insert since it was read, and is handed to one caller at a time: a reader that changes it
  without saving never passes its changes on. It is let go `KEPT_SECONDS` after its save (at
  the next message of anyone), so a conversation erased elsewhere or past retention does not
  stay in memory either.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker

from bot import settings as coach_settings
from bot.adoption_log.records import asks_erasure
from bot.db import make_engine

# On a tracker: how many of its events are in the store. Safe to trust between a load and the
# save that follows because the lock store keeps anyone else from writing that conversation.
_STORED = "_coach_events_in_store"
# On a tracker: the conversation's fingerprint in the database when this store read it.
_READ_AS = "_coach_fingerprint"
# Events kept in memory, all conversations together (700 bytes each in bench/tracker_store.py's
# turns, so about 35 MB): a typical conversation has tens, so a thousand conversations fit, and a
# few very long ones cannot take the memory.
KEPT_EVENTS = 50_000
# How long after its save a conversation is kept: one sitting's messages come within minutes.
KEPT_SECONDS = 600.0

Fingerprint = tuple[int, Any]  # (events stored, the last one's id)


class _KeptTrackers:
    """The trackers saved last, oldest save first, within `KEPT_EVENTS` and `KEPT_SECONDS`."""

    def __init__(self) -> None:
        self._by_sender: OrderedDict[str, tuple[DialogueStateTracker, Fingerprint, float]] = OrderedDict()
        self._events = 0

    def take(self, sender_id: str) -> tuple[DialogueStateTracker | None, Fingerprint | None]:
        self._let_go_of_old()
        tracker, fingerprint, _ = self._by_sender.get(sender_id, (None, None, None))
        self.drop(sender_id)
        return tracker, fingerprint

    def put(self, tracker: DialogueStateTracker, fingerprint: Fingerprint) -> None:
        self.drop(tracker.sender_id)
        self._by_sender[tracker.sender_id] = (tracker, fingerprint, time.monotonic())
        self._events += len(tracker.events)
        while self._events > KEPT_EVENTS:
            self._drop_oldest()
        self._let_go_of_old()

    def drop(self, sender_id: str) -> None:
        kept = self._by_sender.pop(sender_id, None)
        if kept is not None:
            self._events -= len(kept[0].events)

    def trackers(self) -> list[DialogueStateTracker]:
        return [tracker for tracker, *_ in self._by_sender.values()]

    def _let_go_of_old(self) -> None:
        oldest_kept = time.monotonic() - KEPT_SECONDS
        while self._by_sender and next(iter(self._by_sender.values()))[2] <= oldest_kept:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        self.drop(next(iter(self._by_sender)))


class PrivateSQLTrackerStore(SQLTrackerStore):
    engine: Engine

    def __init__(self, domain=None, event_broker=None, host: str | None = None, **kwargs: Any) -> None:
        current = coach_settings.load()
        url = make_url(current.tracker_db_url)
        self.store_text = current.store_text
        if url.get_backend_name() == "sqlite":
            make_engine(current.tracker_db_url).dispose()  # creates the folder of the file
        super().__init__(
            domain=domain,
            dialect=url.drivername,
            host=url.host,
            port=url.port,
            db=url.database,
            username=url.username,
            password=url.password,
            query=dict(url.query) or None,
            event_broker=event_broker,
        )
        # Ours, not Rasa's engine: a database error's message leaves out what people wrote, a
        # PostgreSQL connection has keep-alives, and SQLite keeps a pool (Rasa reconnects to the
        # file for every query); bot/db.py.
        self.engine.dispose()
        self.engine = make_engine(current.tracker_db_url)
        self.sessionmaker = sessionmaker(bind=self.engine)
        # Handed out by `retrieve`, taken back only by `save`: one caller at a time holds a kept tracker.
        self.kept = _KeptTrackers()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept, kept_as = self.kept.take(sender_id)
        # Read before the events: a change in between then shows as a fingerprint that the save
        # does not expect, and the tracker is not kept.
        with self.session_scope() as session:
            fingerprint = self._fingerprint(session, sender_id)
        if fingerprint[0] == 0:
            return None
        tracker = kept if kept_as == fingerprint else await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, _STORED, len(tracker.events))
            setattr(tracker, _READ_AS, fingerprint)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        self.kept.drop(tracker.sender_id)
        if _erasure_confirmed(tracker):
            with self.session_scope() as session:
                self._additional_events(session, tracker)  # the log records this turn, then erases behind it
            self.erase(tracker.sender_id)
        else:
            stored = tracker if self.store_text else without_user_text(tracker)
            with self.session_scope() as session:
                added = self._insert(session, stored)
                fingerprint = self._fingerprint(session, tracker.sender_id)
                session.commit()
            self._keep(tracker, stored, added, fingerprint)
        setattr(tracker, _STORED, len(tracker.events))

    def _insert(self, session, tracker: DialogueStateTracker) -> int:
        """Rasa's rows for the events not stored yet, in one statement; how many."""
        rows = [_row(tracker.sender_id, event) for event in self._additional_events(session, tracker)]
        if rows:
            session.execute(insert(self.SQLEvent.__table__), rows)
        return len(rows)

    def _fingerprint(self, session, sender_id: str) -> Fingerprint:
        query = select(func.count(self.SQLEvent.id), func.max(self.SQLEvent.id))
        count, last = session.execute(query.where(self.SQLEvent.sender_id == sender_id)).one()
        return count, last

    def _keep(self, tracker: DialogueStateTracker, stored: DialogueStateTracker, added: int, now: Fingerprint) -> None:
        """Keeps what was stored (`stored`: `tracker` or its copy without text) if it is all the database holds."""
        read_as = getattr(tracker, _READ_AS, None)
        ours_only = read_as is not None and now[0] == read_as[0] + added
        for saved in (tracker, stored):  # for a second save in the same turn
            setattr(saved, _READ_AS, now if ours_only else None)
        if ours_only and _one_session(stored):  # else changed by someone else, or more than a load gives
            self.kept.put(stored, now)

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Published by `_additional_events` instead: Rasa's default reloads and replays the whole
        stored conversation to find the new events, a second time per message (3% of the CPU)."""

    def _additional_events(self, session, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events past what is stored, which `save` writes next; the event broker gets them here."""
        stored = getattr(tracker, _STORED, None)
        if stored is None:
            events = self._unstored(session, tracker)
        else:
            events = list(itertools.islice(tracker.events, stored, None))
        if self.event_broker is not None:
            for event in events:
                self.event_broker.publish({"sender_id": tracker.sender_id, **event.as_dict()})
        return iter(events)

    def _unstored(self, session, tracker: DialogueStateTracker) -> list[Event]:
        """The events of a tracker this store did not load, that are not stored yet, known by kind and time.

        Rasa counts the stored events instead and skips that many, which loses a whole turn when
        Rasa started the conversation afresh while the database was unreachable and the stored
        conversation is the longer one once it is back."""
        if not tracker.events:
            return []
        since = min(event.timestamp for event in tracker.events)
        query = select(self.SQLEvent.type_name, self.SQLEvent.timestamp).where(
            self.SQLEvent.sender_id == tracker.sender_id, self.SQLEvent.timestamp >= since
        )
        stored = {(kind, timestamp) for kind, timestamp in session.execute(query)}
        return [event for event in tracker.events if (event.type_name, event.timestamp) not in stored]

    def erase(self, sender_id: str) -> int:
        self.kept.drop(sender_id)
        with self.session_scope() as session:
            deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
            return deleted


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """An event as Rasa's `SQLTrackerStore.save` stores it."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def _one_session(tracker: DialogueStateTracker) -> bool:
    """No session started past the tracker's head: `retrieve` loads only the latest session."""
    return all(index <= 1 for index, event in enumerate(tracker.events) if isinstance(event, SessionStarted))


def _erasure_confirmed(tracker: DialogueStateTracker) -> bool:
    """A reply of the latest turn carries the erasure mark."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if asks_erasure(event.as_dict()):
            return True
    return False


def without_user_text(tracker: DialogueStateTracker) -> DialogueStateTracker:
    events = [_without_text(event) if isinstance(event, UserUttered) else event for event in tracker.events]
    copy = DialogueStateTracker.from_events(tracker.sender_id, events, slots=list(tracker.slots.values()))
    for mark in (_STORED, _READ_AS):
        if hasattr(tracker, mark):
            setattr(copy, mark, getattr(tracker, mark))
    return copy


def _without_text(event: UserUttered) -> UserUttered:
    parse_data = {key: value for key, value in (event.parse_data or {}).items() if key != "text"}
    return UserUttered(
        text=None,
        intent=event.intent,
        entities=event.entities,
        parse_data=parse_data,
        timestamp=event.timestamp,
        input_channel=event.input_channel,
        message_id=event.message_id,
        metadata=event.metadata,
    )
