"""What the coach says for a recognised intent: the one place replies are composed.

Actions (every channel) and `coach try` (the trainer's preview) both call `compose`,
so the preview is exactly what a salesperson would get. An answer and "tell me more"
end with a short citation (outlet and title, `KnowledgeBase.cite`); a tip is the
coach's own practice, so it is labelled as such and cites no document.

Answer variants. An entry's short answers are given in rotation, skipping the retired ones:
a person's first answer on an entry is spread over the active variants by a stable number
derived from who they are (`MessageFacts.variant_seed`, `variant_seed`), so every variant
reaches first-time askers alike and can be compared; asking again gives the next one.
A reply says which variant it gave, and a "that helped"/"didn't help" reply which variant it
rates (`Reply.variant`), as `variant_id`: a number derived from the variant's text, not its
position. So a variant's figures stay its own when a trainer edits, adds, reorders or
retires the others; an edited text is a new variant (its figures start again), and figures of
a text no longer in the file stay in the log, shown as an earlier text. A rating is attributed
only while the conversation's last rotated text is that entry's answer (the rotation state is
all the tracker keeps): after a "thanks" in between, the rating has no variant.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.knowledge.base import HELP_CONTACT, KnowledgeBase
from bot.knowledge.models import Answer

FOLLOW_UPS = {"ask_more": "more", "ask_tip": "tip"}
FEEDBACK = {"feedback_helpful": "helpful", "feedback_not_helpful": "not_helpful"}
CONVERSATION = {
    "greet": "greet",
    "goodbye": "goodbye",
    "thanks": "thanks",
    "affirm": "affirm",
    "deny": "deny",
    "ask_help": "help",
    "bot_challenge": "bot_challenge",
}
# Intents whose reply also lists the topics, so the salesperson sees what to ask.
WITH_TOPICS = {"ask_help", "out_of_scope"}
BUTTON_PAYLOADS = {
    "more": "/ask_more",
    "tip": "/ask_tip",
    "helped": "/feedback_helpful",
    "not_helped": "/feedback_not_helpful",
    "erase": "/affirm",
    "keep": "/deny",
    "leave_request": "/affirm",
    "no_request": "/deny",
    "want_person": "/request_human",
}
# Questions the next message answers (with affirm or deny).
AWAITING_FORGET = "forget"
AWAITING_PERSON = "person"
# What a confirmed "I want a person" leaves for trainers (the log row's `request`).
PERSON_REQUEST = "person"
# A variant id fits PostgreSQL's INTEGER (the log's answer_variant column): 31 bits of a hash.
VARIANT_ID_BITS = 31
_SPACES = re.compile(r"\s+")


def variant_id(text: str) -> int:
    """The stable id of a short answer: the same text (whatever its spacing) gives the same number.
    31 bits: two variants of one entry and language colliding is a one-in-a-billion event."""
    digest = hashlib.sha256(_SPACES.sub(" ", text.strip()).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") >> (32 - VARIANT_ID_BITS)


def variant_seed(person: str) -> int:
    """A stable number for a person (the conversation's sender id), which spreads first answers
    over the variants: each person starts at a different one, the same one every time."""
    return int.from_bytes(hashlib.sha256(person.encode("utf-8")).digest()[:4], "big")


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class ConversationState:
    """What the coach remembers between turns (kept in the tracker's slots)."""

    kb_entry: str | None = None  # the knowledge entry last answered, for "tell me more"
    last_key: str | None = None  # which text was last said, to rotate its alternatives
    last_variant: int | None = None
    awaiting: str | None = None  # a question the next message answers: "forget" or "person"


@dataclass(frozen=True)
class PrivacyPolicy:
    """The facts /privacy states; they come from the settings, so the text is never out of date."""

    store_text: bool = True
    retention_days: int = 180


@dataclass(frozen=True)
class MessageFacts:
    """What a reply needs besides the intent (bot/knowledge/facts.py finds them): who helps with
    the company's own CRM, which how-to entry a question matched, a second objection in it."""

    contact: str | None = None  # COACH_HELP_CONTACT; None: the conversation files' generic wording
    howto_id: str | None = None  # for `ask_howto`
    second_objection: str | None = None  # "no time, and my boss still wants Excel": offered as a button
    variant_seed: int = 0  # where this person's rotation of short answers starts (`variant_seed`)


@dataclass(frozen=True)
class Reply:
    text: str
    source: str | None = None
    buttons: Sequence[Button] = field(default_factory=tuple)
    kb_entry: str | None = None  # the entry this reply draws on or gives feedback about
    feedback: str | None = None
    erase: bool = False  # the user confirmed /forget: the action erases, then says so (or `erasure_failed`)
    request: str | None = None  # the user asked for a person and agreed: trainers see it
    variant: int | None = None  # `variant_id` of the short answer given, or rated by a feedback reply
    state: ConversationState = field(default_factory=ConversationState)


def _pick(texts: Sequence[str], key: str, state: ConversationState):
    """The next alternative when the same text is asked for again, else the first."""
    variant = 0
    if state.last_key == key and state.last_variant is not None:
        variant = (state.last_variant + 1) % len(texts)
    return texts[variant], replace(state, last_key=key, last_variant=variant)


def _pick_variant(answer: Answer, key: str, state: ConversationState, seed: int):
    """The entry's next active short answer when it is asked for again, else the person's first one."""
    active = answer.active
    if state.last_key == key and state.last_variant is not None:
        later = [n for n in active if n > state.last_variant]
        variant = later[0] if later else active[0]
    else:
        variant = active[seed % len(active)]
    return answer.short[variant], replace(state, last_key=key, last_variant=variant)


def _rated_variant(kb: KnowledgeBase, language: str, state: ConversationState) -> int | None:
    """The variant a feedback click rates: the entry's answer, if it is still the last rotated text."""
    entry = kb.entry(state.kb_entry) if state.kb_entry else None
    if entry is None or state.last_key != entry.intent or state.last_variant is None:
        return None
    short = entry.answers[language].short
    return variant_id(short[state.last_variant]) if state.last_variant < len(short) else None


def _buttons(kb: KnowledgeBase, language: str, keys: Sequence[str]) -> list[Button]:
    titles = kb.conversation[language].buttons
    return [Button(titles[k], BUTTON_PAYLOADS[k]) for k in keys]


def _topic_list(kb: KnowledgeBase, language: str, intro: bool = True) -> str:
    lines = "\n".join(f"• {topic}" for _, topic in kb.topics(language))
    if not intro:
        return lines
    return f"{kb.conversation[language].texts['topics_intro'][0]}\n{lines}"


def _with_source(text: str, source: str) -> str:
    return f"{text}\n\n{source}"


def _also_button(kb: KnowledgeBase, language: str, intent: str, second: str | None) -> list[Button]:
    """The other objection of a message that raised two, offered rather than answered at once."""
    entry = kb.entry(second) if second and second != intent else None
    if entry is None:
        return []
    return [Button(f"{kb.conversation[language].labels['also']}: {entry.answers[language].topic}", f"/{second}")]


def _knowledge_answer(
    kb: KnowledgeBase, intent: str, language: str, state: ConversationState, facts: MessageFacts
) -> Reply:
    entry = kb.entries[intent]
    short, state = _pick_variant(entry.answers[language], intent, state, facts.variant_seed)
    source = kb.cite(entry, language)
    return Reply(
        text=_with_source(short, source),
        source=source,
        buttons=[
            *_also_button(kb, language, intent, facts.second_objection),
            *_buttons(kb, language, ("more", "tip", "helped", "not_helped")),
        ],
        kb_entry=intent,
        variant=variant_id(short),
        state=replace(state, kb_entry=intent),
    )


def _follow_up(kb: KnowledgeBase, intent: str, language: str, state: ConversationState) -> Reply:
    entry = kb.entry(state.kb_entry) if state.kb_entry else None
    if entry is None:
        texts = kb.conversation[language].texts
        return Reply(text=f"{texts['no_topic_yet'][0]}\n\n{_topic_list(kb, language)}", state=state)
    answer = entry.answers[language]
    labels = kb.conversation[language].labels
    if FOLLOW_UPS[intent] == "tip":  # the coach's own practice: no document to cite
        text, source, other = f"{labels['practice']}: {answer.tip}", None, "more"
    else:  # "tell me more" draws on every document the entry cites
        source = kb.cite(entry, language, every_source=True)
        text, other = _with_source(f"{labels['more']}: {answer.more}", source), "tip"
    return Reply(
        text=text,
        source=source,
        buttons=_buttons(kb, language, (other, "helped", "not_helped")),
        kb_entry=entry.intent,
        state=state,
    )


def _feedback(kb: KnowledgeBase, intent: str, language: str, state: ConversationState) -> Reply:
    rated = _rated_variant(kb, language, state)
    text, state = _pick(kb.conversation[language].texts[intent], intent, state)
    if intent == "feedback_not_helpful":
        text = f"{text}\n{_topic_list(kb, language, intro=False)}"
    return Reply(text=text, kb_entry=state.kb_entry, feedback=FEEDBACK[intent], variant=rated, state=state)


def _conversation(kb: KnowledgeBase, intent: str, language: str, state: ConversationState) -> Reply:
    key = CONVERSATION.get(intent, intent)
    text, state = _pick(kb.conversation[language].texts[key], key, state)
    if intent in WITH_TOPICS:
        text = f"{text}\n\n{_topic_list(kb, language)}"
    return Reply(text=text, state=state)


def _privacy(kb: KnowledgeBase, language: str, state: ConversationState, policy: PrivacyPolicy) -> Reply:
    texts = kb.conversation[language].texts
    text_clause = texts["privacy_text_kept" if policy.store_text else "privacy_text_not_kept"][0]
    text = texts["privacy"][0].format(text_clause=text_clause, retention_days=policy.retention_days)
    return Reply(text=text, state=state)


def _ask_to_forget(kb: KnowledgeBase, language: str, state: ConversationState) -> Reply:
    return Reply(
        text=kb.conversation[language].texts["forget"][0],
        buttons=_buttons(kb, language, ("erase", "keep")),
        state=replace(state, awaiting=AWAITING_FORGET),
    )


def _answer_forget(kb: KnowledgeBase, intent: str, language: str, state: ConversationState) -> Reply:
    texts = kb.conversation[language].texts
    if intent == "affirm":
        return Reply(text=texts["forgotten"][0], erase=True, state=ConversationState())
    return Reply(text=texts["forget_kept"][0], state=replace(state, awaiting=None))


def _help_contact(kb: KnowledgeBase, language: str, facts: MessageFacts) -> str:
    return facts.contact or kb.conversation[language].texts["help_contact_default"][0]


def erasure_failed(kb: KnowledgeBase, language: str, state: ConversationState, contact: str | None = None) -> Reply:
    """Said instead of `forgotten` when erasing did not happen: nothing is promised; try again, or ask a person."""
    text = kb.conversation[language].texts["forget_failed"][0]
    return Reply(
        text=text.replace(HELP_CONTACT, _help_contact(kb, language, MessageFacts(contact=contact))),
        state=replace(state, awaiting=None),
    )


def _ask_for_person(kb: KnowledgeBase, language: str, state: ConversationState, facts: MessageFacts) -> Reply:
    text = kb.conversation[language].texts["request_human"][0].replace(HELP_CONTACT, _help_contact(kb, language, facts))
    return Reply(
        text=text,
        buttons=_buttons(kb, language, ("leave_request", "no_request")),
        state=replace(state, awaiting=AWAITING_PERSON),
    )


def _answer_person(kb: KnowledgeBase, intent: str, language: str, state: ConversationState) -> Reply:
    texts = kb.conversation[language].texts
    state = replace(state, awaiting=None)
    if intent == "affirm":
        return Reply(text=texts["human_requested"][0], request=PERSON_REQUEST, state=state)
    return Reply(text=texts["human_not_requested"][0], state=state)


def _howto(kb: KnowledgeBase, language: str, state: ConversationState, facts: MessageFacts) -> Reply:
    texts, labels = kb.conversation[language].texts, kb.conversation[language].labels
    howto = kb.howtos.get(facts.howto_id or "")
    if howto is None:  # honest: the coach does not know this company's screens
        text = texts["howto_no_match"][0].replace(HELP_CONTACT, _help_contact(kb, language, facts))
        return Reply(text=text, buttons=_buttons(kb, language, ("want_person",)), state=state)
    guide = howto.texts[language]
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(guide.steps, start=1))
    note = f"\n{texts['howto_example_note'][0]}" if howto.example else ""
    source = f"{labels['source']}: {labels['howto_source']}"
    return Reply(
        text=_with_source(f"{guide.title}:\n{steps}{note}", source),
        source=source,
        buttons=_buttons(kb, language, ("helped", "not_helped", "want_person")),
        kb_entry=f"howto:{howto.id}",
        state=replace(state, kb_entry=None),
    )


def _not_understood(kb: KnowledgeBase, language: str, state: ConversationState) -> Reply:
    text = kb.conversation[language].texts["not_understood"][0]
    return Reply(text=f"{text}\n\n{_topic_list(kb, language)}", state=state)


def compose(
    kb: KnowledgeBase,
    intent: str | None,
    language: str,
    state: ConversationState,
    policy: PrivacyPolicy = PrivacyPolicy(),
    chosen_language: str | None = None,
    facts: MessageFacts = MessageFacts(),
) -> Reply:
    """The reply to `intent` in `language`; anything unknown is answered as not understood."""
    if state.awaiting == AWAITING_FORGET and intent in ("affirm", "deny"):
        return _answer_forget(kb, intent, language, state)
    if state.awaiting == AWAITING_PERSON and intent in ("affirm", "deny"):
        return _answer_person(kb, intent, language, state)
    state = replace(state, awaiting=None)  # any other message leaves the question unanswered: nothing erased
    if intent == "request_human":
        return _ask_for_person(kb, language, state, facts)
    if intent == "ask_howto":
        return _howto(kb, language, state, facts)
    if intent == "ask_privacy":
        return _privacy(kb, language, state, policy)
    if intent == "request_forget":
        return _ask_to_forget(kb, language, state)
    if intent == "set_language":
        key = "language_set" if chosen_language else "language_usage"
        return Reply(text=kb.conversation[language].texts[key][0], state=state)
    if intent is not None and intent in kb.entries:
        return _knowledge_answer(kb, intent, language, state, facts)
    if intent in FOLLOW_UPS:
        return _follow_up(kb, intent, language, state)
    if intent in FEEDBACK:
        return _feedback(kb, intent, language, state)
    if intent in CONVERSATION or intent == "out_of_scope":
        return _conversation(kb, intent, language, state)
    return _not_understood(kb, language, state)
