"""What a reply needs to know about a message besides its intent, found the same way for the
action server and for `coach try`: the company's help contact, the how-to entry a question
asks for, and a second objection in the same message.

Matching a how-to embeds the question (CPU work): the action server calls `message_facts`
off its event loop.
"""

from __future__ import annotations

from typing import Any

from bot.knowledge.base import KnowledgeBase
from bot.knowledge.howto import LiveHowToMatcher
from bot.knowledge.replies import MessageFacts

# A message that raises two objections ("no time, and my boss still wants Excel") splits the
# classifier's confidence between them: the second is offered when it keeps at least this much
# and is not far behind the first.
SECOND_OBJECTION_MIN_CONFIDENCE = 0.15
SECOND_OBJECTION_MIN_RATIO = 0.35


def second_objection(parsed: dict[str, Any]) -> str | None:
    """The runner-up objection of a message whose top intent is also an objection, if it is strong."""
    ranking = parsed.get("intent_ranking") or []
    if len(ranking) < 2:
        return None
    first, second = ranking[0], ranking[1]
    names = (str(first.get("name") or ""), str(second.get("name") or ""))
    if not all(name.startswith("objection_") for name in names):
        return None
    top, runner_up = float(first.get("confidence") or 0.0), float(second.get("confidence") or 0.0)
    strong = runner_up >= SECOND_OBJECTION_MIN_CONFIDENCE and runner_up >= SECOND_OBJECTION_MIN_RATIO * top
    return names[1] if strong else None


def message_facts(
    kb: KnowledgeBase, parsed: dict[str, Any], howtos: LiveHowToMatcher, contact: str | None
) -> MessageFacts:
    intent = (parsed.get("intent") or {}).get("name")
    found = howtos.best(kb, parsed.get("text") or "") if intent == "ask_howto" else None
    return MessageFacts(contact, found.howto_id if found else None, second_objection(parsed))
