"""The adoption log is fed by a Rasa event broker (endpoints.yml: event_broker).

Why an event broker, and not the action server or a tracker-store query:
- Rasa publishes every event it stores, whatever produced it: greetings, fallbacks,
  button clicks (parsed without the NLU pipeline), replies from rules, and
  messages whose custom action failed. The action server sees only the turns that
  reach it, and would miss a message when it is down.
- It runs inside the Rasa server, next to the NLU result (intent, confidence,
  language, sentiment), so nothing is computed twice.
- It is Rasa's own extension point for analytics, and it scales with the server:
  each replica publishes the events of the messages it handled.

`publish` is called on Rasa's event loop, so it only appends to the local outbox
(bot/adoption_log/outbox.py); a writer thread delivers to the database, and keeps the rows on
disk while the database is unreachable.
"""

from __future__ import annotations

import logging
from asyncio import AbstractEventLoop
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot import settings as coach_settings
from bot.adoption_log.outbox import Outbox, OutboxWriter
from bot.adoption_log.records import EventLog, asks_erasure
from bot.adoption_log.store import LogStore
from bot.privacy import retention
from bot.privacy.pseudonyms import load_key

logger = logging.getLogger(__name__)


class AdoptionLogBroker(EventBroker):
    def __init__(self, settings: coach_settings.Settings, interval: float = 0.5) -> None:
        self.settings = settings
        self.events = EventLog(load_key(settings.secret_key, settings.secret_key_file), settings.store_text)
        self.outbox = Outbox(settings.outbox_file, settings.outbox_max_rows)
        self.store = LogStore(settings.log_db_url)
        self.writer = OutboxWriter(
            self.outbox, self.store, interval=interval, daily=lambda: retention.purge(settings, self.store)
        ).start()

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: AbstractEventLoop | None = None
    ) -> AdoptionLogBroker:
        return cls(coach_settings.load())

    def publish(self, event: dict[str, Any]) -> None:
        try:
            record = self.events.record(event)
            if record is not None:
                self.outbox.put(record)
            if asks_erasure(event):
                self.outbox.put_forget(self.events.user_id(event))
        except Exception:
            # Never let logging break the conversation; say loudly that a row is missing.
            logger.exception("Could not queue a %s event for the adoption log", event.get("event"))
        # No nudge to the writer: it delivers in batches every half second. Waking it for
        # every event cost a quarter of the server's CPU under load (measured with py-spy).

    async def close(self) -> None:
        self.writer.stop()
        self.outbox.close()
        self.store.close()
