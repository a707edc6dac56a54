"""From Rasa's tracker events to adoption-log records.

A user event carries what the NLU understood (intent, confidence, language,
sentiment) and the channel; a bot event carries, in its metadata, what the
action decided (the reply's language, the knowledge entry, the feedback, an
erasure). The action writes that metadata with `reply_metadata`, so both ends of
the contract live here.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from bot.adoption_log.store import LogRecord
from bot.db import to_utc
from bot.privacy.pseudonyms import pseudonym
from bot.privacy.redaction import redact

KB_ENTRY = "kb_entry"
FEEDBACK = "feedback"
LANGUAGE = "language"
ERASE = "erase_user_data"
REQUEST = "request"
TEAM = "team"
_REMEMBERED_CONVERSATIONS = 10_000


def reply_metadata(
    language: str, kb_entry: str | None, feedback: str | None, erase: bool, request: str | None = None
) -> dict[str, Any]:
    """What the action attaches to its reply (it becomes the bot event's metadata)."""
    metadata: dict[str, Any] = {LANGUAGE: language}
    if kb_entry:
        metadata[KB_ENTRY] = kb_entry
    if feedback:
        metadata[FEEDBACK] = feedback
    if erase:
        metadata[ERASE] = True
    if request:
        metadata[REQUEST] = request
    return metadata


def asks_erasure(event: dict[str, Any]) -> bool:
    return event.get("event") == "bot" and bool((event.get("metadata") or {}).get(ERASE))


@dataclass(frozen=True)
class _Turn:
    """What a reply inherits from the message it answers."""

    user_id: str
    channel: str | None
    team: str | None
    intent: str | None


class EventLog:
    """Turns the events of one Rasa server into records; remembers each conversation's last message."""

    def __init__(self, key: bytes, store_text: bool) -> None:
        self.key = key
        self.store_text = store_text
        # A reply is published in the same batch as the message it answers, by the same
        # server, so a bounded memory of recent turns is enough, even with several replicas.
        self._turns: OrderedDict[str, _Turn] = OrderedDict()

    def user_id(self, event: dict[str, Any]) -> str:
        turn = self._turns.get(event.get("sender_id", ""))
        if turn is not None:
            return turn.user_id
        return pseudonym(self.key, event.get("input_channel") or "rest", str(event.get("sender_id")))

    def record(self, event: dict[str, Any]) -> LogRecord | None:
        kind = event.get("event")
        if kind == "user":
            return self._user_record(event)
        if kind == "bot":
            return self._bot_record(event)
        return None

    def _text(self, text: str | None) -> str | None:
        # The channel already redacted it; messages that came another way (Rasa's HTTP API) did not.
        if not self.store_text or text is None:
            return None
        return redact(text)

    def _user_record(self, event: dict[str, Any]) -> LogRecord:
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        sentiment = parse.get("sentiment") or {}
        channel = event.get("input_channel")
        turn = _Turn(
            user_id=pseudonym(self.key, channel or "rest", str(event.get("sender_id"))),
            channel=channel,
            team=(event.get("metadata") or {}).get(TEAM),
            intent=intent.get("name"),
        )
        self._remember(event.get("sender_id", ""), turn)
        return _record(
            event,
            turn,
            "user",
            language=parse.get("language"),
            text=self._text(event.get("text")),
            confidence=_number(intent.get("confidence")),
            sentiment_label=sentiment.get("label"),
            sentiment_score=_number(sentiment.get("score")),
        )

    def _bot_record(self, event: dict[str, Any]) -> LogRecord:
        metadata = event.get("metadata") or {}
        turn = self._turns.get(event.get("sender_id", "")) or _Turn(self.user_id(event), None, None, None)
        return _record(
            event,
            turn,
            "bot",
            language=metadata.get(LANGUAGE),
            text=event.get("text"),
            kb_entry=metadata.get(KB_ENTRY),
            feedback=metadata.get(FEEDBACK),
            request=metadata.get(REQUEST),
        )

    def _remember(self, sender_id: str, turn: _Turn) -> None:
        self._turns[sender_id] = turn
        self._turns.move_to_end(sender_id)
        while len(self._turns) > _REMEMBERED_CONVERSATIONS:
            self._turns.popitem(last=False)


def _record(event: dict[str, Any], turn: _Turn, direction: str, **fields: Any) -> LogRecord:
    return LogRecord(
        event_id=str(uuid.uuid4()),
        ts=to_utc(event["timestamp"]),
        user_id=turn.user_id,
        direction=direction,
        channel=turn.channel,
        team=turn.team,
        intent=turn.intent,
        **fields,
    )


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
