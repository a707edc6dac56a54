"""The coach's one custom action: every intent is answered by bot.knowledge.replies.compose.

The action only translates between the tracker (slots, latest message) and the
reply; the knowledge base follows the files (bot/knowledge/reload.py). A confirmed
/forget is carried out here, before the reply says it is done (bot/privacy/erasure.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import settings
from bot.adoption_log.records import reply_metadata
from bot.adoption_log.store import LogStore
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.facts import message_facts
from bot.knowledge.howto import LiveHowToMatcher
from bot.knowledge.reload import LiveKnowledge
from bot.knowledge.replies import ConversationState, PrivacyPolicy, Reply, compose, erasure_failed, variant_seed
from bot.nlu.language import reply_language
from bot.privacy import erasure
from bot.privacy.pseudonyms import load_key, pseudonym

logger = logging.getLogger(__name__)

SLOT_LANGUAGE = "language"
SLOT_KB_ENTRY = "kb_entry"
SLOT_LAST_KEY = "last_reply_key"
SLOT_LAST_VARIANT = "last_reply_variant"
SLOT_AWAITING = "awaiting_confirmation"
SLOT_CHOSEN_LANGUAGE = "chosen_language"


def _state(tracker: Tracker) -> ConversationState:
    variant = tracker.get_slot(SLOT_LAST_VARIANT)
    return ConversationState(
        kb_entry=tracker.get_slot(SLOT_KB_ENTRY),
        last_key=tracker.get_slot(SLOT_LAST_KEY),
        last_variant=int(variant) if variant is not None else None,
        awaiting=tracker.get_slot(SLOT_AWAITING),
    )


def _language(tracker: Tracker) -> str:
    parsed = tracker.latest_message or {}
    hint = (parsed.get("metadata") or {}).get("language_hint")
    return reply_language(
        parsed.get("language"),
        parsed.get("language_source"),
        tracker.get_slot(SLOT_LANGUAGE),
        hint=hint,
        chosen=tracker.get_slot(SLOT_CHOSEN_LANGUAGE),
    )


def _utter(dispatcher: CollectingDispatcher, reply: Reply, language: str) -> None:
    buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
    # Extra keywords become the bot event's metadata, which the adoption log reads.
    metadata = reply_metadata(language, reply.kb_entry, reply.feedback, reply.erase, reply.request, reply.variant)
    dispatcher.utter_message(text=reply.text, buttons=buttons, **metadata)


def _erase_person(current: settings.Settings, tracker: Tracker) -> None:
    """Blocking database and file work: run it off the event loop."""
    key = load_key(current.secret_key, current.secret_key_file)
    # The log's pseudonym for this person, computed as the adoption log computes it.
    user_id = pseudonym(key, tracker.get_latest_input_channel() or "rest", tracker.sender_id)
    store = LogStore(current.log_db_url)
    try:
        erasure.erase(current, store, user_id, tracker.sender_id)
    finally:
        store.close()


# Read once, when the action server starts.
_SETTINGS = settings.load()


class ActionCoachReply(Action):
    # Reloaded within a second of a trainer's change; a broken file keeps the last good version.
    knowledge = LiveKnowledge(_SETTINGS.knowledge_dir)
    privacy_policy = PrivacyPolicy(store_text=_SETTINGS.store_text, retention_days=_SETTINGS.retention_days)
    help_contact = _SETTINGS.help_contact
    howtos = LiveHowToMatcher()
    erasure_settings = _SETTINGS  # where a confirmed /forget erases (the tests point it at their own files)

    def name(self) -> str:
        return "action_coach_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        language = _language(tracker)
        chosen = tracker.get_slot(SLOT_CHOSEN_LANGUAGE)
        kb = self.knowledge.get()
        # Matching a how-to embeds the question: CPU work, so off the event loop.
        facts = await asyncio.get_running_loop().run_in_executor(
            None, message_facts, kb, tracker.latest_message, self.howtos, self.help_contact
        )
        # Each person starts the rotation of short answers at their own variant, so all are compared.
        facts = replace(facts, variant_seed=variant_seed(tracker.sender_id))
        reply = compose(kb, intent, language, _state(tracker), self.privacy_policy, chosen, facts)
        if reply.erase:
            reply = await self._erased(tracker, kb, language, reply)
        _utter(dispatcher, reply, language)
        return [
            SlotSet(SLOT_LANGUAGE, language),
            SlotSet(SLOT_KB_ENTRY, reply.state.kb_entry),
            SlotSet(SLOT_LAST_KEY, reply.state.last_key),
            SlotSet(SLOT_LAST_VARIANT, reply.state.last_variant),
            SlotSet(SLOT_AWAITING, reply.state.awaiting),
        ]

    async def _erased(self, tracker: Tracker, kb: KnowledgeBase, language: str, forgotten: Reply) -> Reply:
        """`forgotten` once everything is erased; if anything failed, a reply that promises nothing."""
        try:
            await asyncio.to_thread(_erase_person, self.erasure_settings, tracker)
        except Exception:  # whatever stopped it (a database, a file), the person must not hear "done"
            logger.exception("Erasing a person failed; they were asked to try again")
            return erasure_failed(kb, language, _state(tracker), self.help_contact)
        return forgotten
