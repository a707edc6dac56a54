"""What the follow-ups leave in the adoption log: each message the coach wrote first (so a
conversation, the dashboard's transcript and `coach export` show it) and the feedback a
follow-up's button gave.

Both are bot rows made as the event broker makes every bot row (bot/adoption_log/records.py:
`EventLog` from a bot event, then `fit`), under the person's pseudonym, with their channel and
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
from bot.adoption_log.store import LogStore


class Logbook:
    def __init__(self, log: LogStore, key: bytes) -> None:
        self.log = log
        # The text of a bot row is the coach's own: `store_text` (the salespeople's) does not apply.
        self.events = EventLog(key, store_text=False)

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
        record = self.events.record(event)
        if record is not None:
            self.log.add([fit(replace(record, channel=channel, team=team))])
