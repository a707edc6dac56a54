"""The coach's one custom action: every intent is answered by bot.replies.compose.

The action only translates between the tracker (slots, latest message) and the
reply; the knowledge base is loaded once, when the action server starts.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import knowledge
from bot.language import reply_language
from bot.replies import ConversationState, Reply, compose

logger = logging.getLogger(__name__)

SLOT_LANGUAGE = "language"
SLOT_KB_ENTRY = "kb_entry"
SLOT_LAST_KEY = "last_reply_key"
SLOT_LAST_VARIANT = "last_reply_variant"


def _state(tracker: Tracker) -> ConversationState:
    variant = tracker.get_slot(SLOT_LAST_VARIANT)
    return ConversationState(
        kb_entry=tracker.get_slot(SLOT_KB_ENTRY),
        last_key=tracker.get_slot(SLOT_LAST_KEY),
        last_variant=int(variant) if variant is not None else None,
    )


def _language(tracker: Tracker) -> str:
    parsed = tracker.latest_message or {}
    return reply_language(parsed.get("language"), parsed.get("language_source"), tracker.get_slot(SLOT_LANGUAGE))


def _utter(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
    dispatcher.utter_message(text=reply.text, buttons=buttons)


class ActionCoachReply(Action):
    knowledge_base = knowledge.load()

    def name(self) -> Text:
        return "action_coach_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        language = _language(tracker)
        reply = compose(self.knowledge_base, intent, language, _state(tracker))
        _utter(dispatcher, reply)
        return [
            SlotSet(SLOT_LANGUAGE, language),
            SlotSet(SLOT_KB_ENTRY, reply.state.kb_entry),
            SlotSet(SLOT_LAST_KEY, reply.state.last_key),
            SlotSet(SLOT_LAST_VARIANT, reply.state.last_variant),
        ]
