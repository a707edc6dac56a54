"""What the coach says for a recognised intent: the one place replies are composed.

Actions (every channel) and `coach try` (the trainer's preview) both call `compose`,
so the preview is exactly what a salesperson would get.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import List, Optional, Sequence

from bot.knowledge.base import KnowledgeBase

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
}
# A question the next message answers (with affirm or deny).
AWAITING_FORGET = "forget"


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class ConversationState:
    """What the coach remembers between turns (kept in the tracker's slots)."""

    kb_entry: Optional[str] = None  # the knowledge entry last answered, for "tell me more"
    last_key: Optional[str] = None  # which text was last said, to rotate its alternatives
    last_variant: Optional[int] = None
    awaiting: Optional[str] = None  # a question the next message answers: "forget"


@dataclass(frozen=True)
class PrivacyPolicy:
    """The facts /privacy states; they come from the settings, so the text is never out of date."""

    store_text: bool = True
    retention_days: int = 180


@dataclass(frozen=True)
class Reply:
    text: str
    source: Optional[str] = None
    buttons: Sequence[Button] = field(default_factory=tuple)
    kb_entry: Optional[str] = None  # the entry this reply draws on or gives feedback about
    feedback: Optional[str] = None
    erase: bool = False  # the user confirmed /forget: erase their log rows and conversation
    state: ConversationState = field(default_factory=ConversationState)


def _pick(texts: Sequence[str], key: str, state: ConversationState):
    """The next alternative when the same text is asked for again, else the first."""
    variant = 0
    if state.last_key == key and state.last_variant is not None:
        variant = (state.last_variant + 1) % len(texts)
    return texts[variant], replace(state, last_key=key, last_variant=variant)


def _buttons(kb: KnowledgeBase, language: str, keys: Sequence[str]) -> List[Button]:
    titles = kb.conversation[language].buttons
    return [Button(titles[k], BUTTON_PAYLOADS[k]) for k in keys]


def _topic_list(kb: KnowledgeBase, language: str, intro: bool = True) -> str:
    lines = "\n".join(f"• {topic}" for _, topic in kb.topics(language))
    if not intro:
        return lines
    return f"{kb.conversation[language].texts['topics_intro'][0]}\n{lines}"


def _with_source(text: str, source: str) -> str:
    return f"{text}\n\n{source}"


def _knowledge_answer(kb: KnowledgeBase, intent: str, language: str, state: ConversationState) -> Reply:
    entry = kb.entries[intent]
    short, state = _pick(entry.answers[language].short, intent, state)
    source = kb.cite(entry, language)
    return Reply(
        text=_with_source(short, source),
        source=source,
        buttons=_buttons(kb, language, ("more", "tip", "helped", "not_helped")),
        kb_entry=intent,
        state=replace(state, kb_entry=intent),
    )


def _follow_up(kb: KnowledgeBase, intent: str, language: str, state: ConversationState) -> Reply:
    entry = kb.entry(state.kb_entry) if state.kb_entry else None
    if entry is None:
        texts = kb.conversation[language].texts
        return Reply(text=f"{texts['no_topic_yet'][0]}\n\n{_topic_list(kb, language)}", state=state)
    part = FOLLOW_UPS[intent]
    other = "tip" if part == "more" else "more"
    answer = entry.answers[language]
    label = kb.conversation[language].labels[part]
    source = kb.cite(entry, language, every_source=part == "more")
    return Reply(
        text=_with_source(f"{label}: {getattr(answer, part)}", source),
        source=source,
        buttons=_buttons(kb, language, (other, "helped", "not_helped")),
        kb_entry=entry.intent,
        state=state,
    )


def _feedback(kb: KnowledgeBase, intent: str, language: str, state: ConversationState) -> Reply:
    text, state = _pick(kb.conversation[language].texts[intent], intent, state)
    if intent == "feedback_not_helpful":
        text = f"{text}\n{_topic_list(kb, language, intro=False)}"
    return Reply(text=text, kb_entry=state.kb_entry, feedback=FEEDBACK[intent], state=state)


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


def _not_understood(kb: KnowledgeBase, language: str, state: ConversationState) -> Reply:
    text = kb.conversation[language].texts["not_understood"][0]
    return Reply(text=f"{text}\n\n{_topic_list(kb, language)}", state=state)


def compose(
    kb: KnowledgeBase,
    intent: Optional[str],
    language: str,
    state: ConversationState,
    policy: PrivacyPolicy = PrivacyPolicy(),
    chosen_language: Optional[str] = None,
) -> Reply:
    """The reply to `intent` in `language`; anything unknown is answered as not understood."""
    if state.awaiting == AWAITING_FORGET and intent in ("affirm", "deny"):
        return _answer_forget(kb, intent, language, state)
    state = replace(state, awaiting=None)  # any other message leaves the question unanswered: nothing erased
    if intent == "ask_privacy":
        return _privacy(kb, language, state, policy)
    if intent == "request_forget":
        return _ask_to_forget(kb, language, state)
    if intent == "set_language":
        key = "language_set" if chosen_language else "language_usage"
        return Reply(text=kb.conversation[language].texts[key][0], state=state)
    if intent in kb.entries:
        return _knowledge_answer(kb, intent, language, state)
    if intent in FOLLOW_UPS:
        return _follow_up(kb, intent, language, state)
    if intent in FEEDBACK:
        return _feedback(kb, intent, language, state)
    if intent in CONVERSATION or intent == "out_of_scope":
        return _conversation(kb, intent, language, state)
    return _not_understood(kb, language, state)
