"""What a follow-up says, in the person's language, and the buttons' payloads.

The words are conversation texts of the knowledge base (`followup_*` keys in
knowledge/conversation/<lang>.yml), so trainers edit them with the rest. A tip check and a
refresher quote the entry's own `tip`, labelled and cited as replies are
(bot/knowledge/replies.py): nothing here states a fact the knowledge base does not.

Payloads are chat commands the connectors handle themselves (bot/followups/door.py), never
sent to the NLU: `/followup <message id> <answer>` and `/nudges on|off`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.followups.store import PULSE, REFRESHER, TIP_CHECK, Planned
from bot.knowledge.base import KnowledgeBase
from bot.settings import LANGUAGES

NUDGES_ON, NUDGES_OFF = "/nudges on", "/nudges off"
FOLLOWUP = "/followup"
# The answers each kind takes, and the conversation text of each button.
TIP_ANSWERS = {
    "helped": "followup_tried_helped",
    "not_helped": "followup_tried_not_helped",
    "not_yet": "followup_not_yet",
}
REFRESHER_ANSWERS = {"helped": "followup_refresher_helped", "not_helped": "followup_refresher_not_helped"}
PULSE_SCORES = ("1", "2", "3", "4", "5")
ANSWERS = {TIP_CHECK: tuple(TIP_ANSWERS), REFRESHER: tuple(REFRESHER_ANSWERS), PULSE: PULSE_SCORES}
# "/followup 123 not_helped": digits and a word, bounded, so no input makes the match slow.
_ANSWER = re.compile(r"^/followup ([0-9]{1,12}) ([a-z_1-5]{1,16})$")


@dataclass(frozen=True)
class Outgoing:
    text: str
    buttons: tuple[tuple[str, str], ...]  # (title, payload)
    language: str | None = None  # what the adoption log notes on the row of a sent follow-up


def language(*candidates: str | None) -> str:
    """The first candidate the coach speaks, else English."""
    return next((c for c in candidates if c in LANGUAGES), "en")


def say(kb: KnowledgeBase, lang: str, key: str) -> str:
    return kb.conversation[lang].texts[key][0]


def parse_answer(text: str) -> tuple[int, str] | None:
    """(message id, answer) of a follow-up button's payload, or None."""
    match = _ANSWER.match(text.strip())
    return (int(match[1]), match[2]) if match else None


def _stop(kb: KnowledgeBase, lang: str) -> tuple[str, str]:
    return say(kb, lang, "followup_stop_button"), NUDGES_OFF


def _practice(kb: KnowledgeBase, lang: str, entry_id: str) -> tuple[str, str]:
    """The entry's tip as a reply gives it ("From practice: ..."), and its citation line."""
    entry = kb.entries[entry_id]
    labels = kb.conversation[lang].labels
    return f"{labels['practice']}: {entry.answers[lang].tip}", kb.cite(entry, lang)


def compose(kb: KnowledgeBase, message: Planned, lang: str) -> Outgoing | None:
    """The message to send, or None when what it draws on left the knowledge base."""
    if message.kind == PULSE:
        buttons = tuple((score, f"{FOLLOWUP} {message.id} {score}") for score in PULSE_SCORES)
        return Outgoing(say(kb, lang, "followup_pulse"), (*buttons, _stop(kb, lang)), lang)
    entry = message.kb_entry
    if entry is None or entry not in kb.entries:
        return None
    tip, source = _practice(kb, lang, entry)
    keys = TIP_ANSWERS if message.kind == TIP_CHECK else REFRESHER_ANSWERS
    intro = say(kb, lang, "followup_tip_check" if message.kind == TIP_CHECK else "followup_refresher")
    buttons = tuple((say(kb, lang, key), f"{FOLLOWUP} {message.id} {answer}") for answer, key in keys.items())
    return Outgoing(f"{intro}\n\n{tip}\n\n{source}", (*buttons, _stop(kb, lang)), lang)


def offer(kb: KnowledgeBase, lang: str) -> Outgoing:
    """The question asked once, after the first answer from the knowledge base."""
    buttons = ((say(kb, lang, "followup_offer_yes"), NUDGES_ON), (say(kb, lang, "followup_offer_no"), NUDGES_OFF))
    return Outgoing(say(kb, lang, "followup_offer"), buttons)
