"""From Rasa's tracker events to adoption-log records.

A user event carries what the NLU understood (intent, confidence, language,
sentiment) and the channel; a bot event carries, in its metadata, what the
action decided (the reply's language, the knowledge entry, the feedback, the answer
variant given or rated, an erasure). The action writes that metadata with
`reply_metadata`, so both ends of the contract live here: a feedback row is a reply with
`feedback` and the `variant` it rates (bot/knowledge/replies.py says what a variant id is).

`fit` is the log's door (the outbox applies it to every record it queues): whatever a
client sent, a record leaves it storable in any of the log's databases (no NUL or other
control characters, no lone surrogates, every field within its column), so one odd
message can never stop the log.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

from bot.adoption_log.store import LogRecord, text_column_sizes
from bot.db import to_utc
from bot.privacy.pseudonyms import pseudonym
from bot.privacy.redaction import redact

KB_ENTRY = "kb_entry"
FEEDBACK = "feedback"
LANGUAGE = "language"
ERASE = "erase_user_data"
REQUEST = "request"
VARIANT = "answer_variant"
TEAM = "team"
_REMEMBERED_CONVERSATIONS = 10_000
# The text column has no size; a bound keeps one hostile message from filling the log.
TEXT_LIMIT = 10_000
# C0 controls except tab and newline (PostgreSQL refuses NUL; the others only garble an export).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f]")
# In a Python string every surrogate is a lone one (a pair is one code point): UTF-8 cannot hold it.
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_TEXT_SIZES = text_column_sizes()
_NUMBERS = ("confidence", "sentiment_score")
_LARGEST_VARIANT = 2**31 - 1  # the answer_variant column is a 32-bit INTEGER
_EVENT_IDS = uuid.UUID("5f0d6a1e-8c1b-4c8e-9a57-0c0ac4c4ad1b")  # the namespace of the log's event ids


def reply_metadata(
    language: str,
    kb_entry: str | None,
    feedback: str | None,
    erase: bool,
    request: str | None = None,
    variant: int | None = None,
) -> dict[str, Any]:
    """What the action attaches to its reply (it becomes the bot event's metadata); `variant` is
    the short answer given or, with `feedback`, the one rated."""
    metadata: dict[str, Any] = {LANGUAGE: language}
    if kb_entry:
        metadata[KB_ENTRY] = kb_entry
    if variant is not None:
        metadata[VARIANT] = variant
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
            answer_variant=_variant(metadata.get(VARIANT)),
        )

    def _remember(self, sender_id: str, turn: _Turn) -> None:
        self._turns[sender_id] = turn
        self._turns.move_to_end(sender_id)
        while len(self._turns) > _REMEMBERED_CONVERSATIONS:
            self._turns.popitem(last=False)


def event_id(event: dict[str, Any]) -> str:
    """The same id each time Rasa publishes the same event (its sender, kind, time and text), so
    that an event handed to the broker twice is one row: the store ignores a known `event_id`."""
    identity = [event.get("sender_id"), event.get("event"), event.get("timestamp"), event.get("text")]
    return str(uuid.uuid5(_EVENT_IDS, json.dumps(identity, ensure_ascii=True, default=str)))


def _record(event: dict[str, Any], turn: _Turn, direction: str, **fields: Any) -> LogRecord:
    return LogRecord(
        event_id=event_id(event),
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


def _variant(value: Any) -> int | None:
    """A variant id as the column stores it; anything else (a client's odd metadata) is no variant."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _LARGEST_VARIANT:
        return None
    return value


def clean_text(value: str) -> str:
    """`value` without control characters (but tab and newline) and with lone surrogates replaced."""
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", value))


def fit(record: LogRecord) -> LogRecord:
    """The record as any log database stores it: clean text, each field clipped to its column."""
    changes: dict[str, Any] = {name: _number(getattr(record, name)) for name in _NUMBERS}
    for name, size in _TEXT_SIZES.items():
        value = getattr(record, name)
        if value is not None:
            changes[name] = clean_text(str(value))[: size or TEXT_LIMIT]
    return replace(record, **changes)
