"""What the follow-ups leave in the adoption log: each message the coach wrote first (so a
conversation, the dashboard's transcript and `coach export` show it), the feedback a
follow-up's button gave, and the exchanges that never reach the coach (a person's "/nudges on",
"stop" or a follow-up's button, and the reply), so every message that reached us is logged.

Each row is made as the event broker makes every row (bot/adoption_log/records.py: `EventLog`
from a bot or user event, then `fit`), under the person's pseudonym, with their channel and
team. They are erased with the person's other rows by /forget (`LogStore.forget`), and a row
written just after an erasure is dropped by its tombstone (`LogStore.add`).

A sent follow-up's row carries no knowledge entry: the Answers page counts the rows with one as
answers given, and a tip check only quotes a tip already counted when it was given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from bot.adoption_log.records import EventLog, fit
from bot.adoption_log.store import LogRecord, LogStore
from bot.channels.contract import read_part


class Logbook:
    def __init__(self, log: LogStore, key: bytes, store_text: bool = True) -> None:
        self.log = log
        # The text of a bot row is the coach's own: `store_text` (the salespeople's) does not apply.
        self.events = EventLog(key, store_text=False)
        # A person's text is kept, redacted, only where the deployment keeps salespeople's texts.
        self.their_words = EventLog(key, store_text=store_text)

    def bot_row(
        self,
        user_id: str,
        channel: str,
        team: str | None,
        at: dt.datetime,
        text: str | None,
        metadata: dict[str, Any],
    ) -> None:
        """Writes the row now (a follow-up has no outbox: the worker and the door run beside the log's database)."""
        moment = at.replace(tzinfo=dt.timezone.utc).timestamp()
        event = {"event": "bot", "sender_id": user_id, "timestamp": moment, "text": text, "metadata": metadata}
        self._add(self.events.record(event), channel, team)

    def user_row(self, user_id: str, channel: str, team: str | None, at: dt.datetime, text: str) -> None:
        """A person's message that went to the follow-ups, not to the coach (no intent: it is a command)."""
        moment = at.replace(tzinfo=dt.timezone.utc).timestamp()
        # Cut before the redaction reads it, as the REST channel cuts what goes to the coach.
        said = read_part(text)
        event = {"event": "user", "sender_id": user_id, "timestamp": moment, "text": said, "input_channel": channel}
        self._add(self.their_words.record(event), channel, team)

    def _add(self, record: LogRecord | None, channel: str, team: str | None) -> None:
        # The event's sender is already a pseudonym, which the record keeps as it is.
        if record is not None:
            self.log.add([fit(replace(record, channel=channel, team=team))])
