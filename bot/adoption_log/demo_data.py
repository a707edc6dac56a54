"""`coach demo-data`: a few weeks of synthetic conversations, so the dashboard can be tried
before any salesperson writes.

Salespeople's messages are the project's own training examples (data/nlu), the
coach's replies are composed from the knowledge base as in production, and the
people, teams, channels, trends and moods are invented: some objections rise, the
mood improves slowly, and an entry's later short answers help a little less often than its
first, so the Answers page has variants to tell apart. Demo rows are marked (their event ids start with "demo-") and
running the command again replaces them, never real rows.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import delete

from bot.adoption_log.store import LogRecord, LogStore, MessageRow
from bot.db import utc_now
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.replies import ConversationState, MessageFacts, compose, variant_seed
from bot.privacy.pseudonyms import pseudonym

DEMO_PREFIX = "demo-"
TEAMS = {"Nord": "it", "Centro": "it", "Sud": "it", "Iberia": "es", "UK": "en"}
CHANNELS = (("telegram", 0.5), ("slack", 0.3), ("webchat", 0.2))
# Weight per objection in the first and the last week: some rise, some fade.
TRENDS = {
    "objection_no_time": (3.0, 5.0),
    "objection_fear_of_control": (1.0, 4.0),
    "objection_useless_process": (1.0, 3.0),
    "objection_no_training": (4.0, 1.5),
    "objection_prefer_old_tools": (2.5, 2.0),
    "objection_clients_are_mine": (2.0, 2.0),
}
# How much less often each later short answer of an entry helps (its position in the file).
HELPED_LESS_PER_VARIANT = 0.12
# What salespeople ask that the coach does not cover: the "iceberg" a trainer should see.
NOT_UNDERSTOOD = {
    "it": [
        "come esporto i contatti in excel?",
        "come si esportano i contatti su excel",
        "dove trovo il pulsante delle offerte?",
        "il crm non sincronizza con outlook",
        "la sincronizzazione con outlook non funziona",
        "posso usarlo dal telefono offline?",
    ],
    "es": [
        "¿cómo exporto los contactos a excel?",
        "¿dónde está el botón de presupuestos?",
        "el crm no sincroniza con outlook",
        "no funciona la sincronización con outlook",
    ],
    "en": [
        "how do I export my contacts to excel?",
        "where is the quotes button?",
        "the crm won't sync with outlook",
        "outlook sync is broken again",
    ],
}


@dataclass
class _Person:
    user_id: str
    team: str
    language: str
    channel: str
    activity: float


def _examples(data_dir: Path) -> dict[str, dict[str, list[str]]]:
    """{language: {intent: [example, ...]}} from the training files."""
    examples: dict[str, dict[str, list[str]]] = {}
    for path in sorted(data_dir.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" in block:
                lines = [line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- ")]
                examples.setdefault(path.stem, {})[block["intent"]] = lines
    return examples


def _choose(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


class _Writer:
    def __init__(self, kb: KnowledgeBase, rng: random.Random) -> None:
        self.kb, self.rng = kb, rng
        self.records: list[LogRecord] = []

    def say(self, person: _Person, when: dt.datetime, text: str, intent: str, sentiment: float | None) -> None:
        label = (
            None
            if sentiment is None
            else ("negative" if sentiment < -0.25 else "positive" if sentiment > 0.25 else "neutral")
        )
        typed = not text.startswith("/")
        self._add(
            person,
            when,
            "user",
            text=text,
            intent=intent,
            language=person.language if typed else None,
            confidence=round(self.rng.uniform(0.55, 0.99), 3) if typed else 1.0,
            sentiment_label=label,
            sentiment_score=None if sentiment is None else round(sentiment, 3),
        )

    def reply(self, person: _Person, when: dt.datetime, intent: str, state: ConversationState) -> ConversationState:
        facts = MessageFacts(variant_seed=variant_seed(person.user_id))  # as the action spreads them
        reply = compose(self.kb, intent, person.language, state, facts=facts)
        self._add(
            person,
            when + dt.timedelta(seconds=1),
            "bot",
            text=reply.text,
            intent=intent,
            language=person.language,
            kb_entry=reply.kb_entry,
            feedback=reply.feedback,
            answer_variant=reply.variant,
        )
        return reply.state

    def _add(self, person: _Person, when: dt.datetime, direction: str, **fields) -> None:
        self.records.append(
            LogRecord(
                event_id=DEMO_PREFIX + uuid.UUID(int=self.rng.getrandbits(128)).hex[:31],
                ts=when,
                user_id=person.user_id,
                direction=direction,
                channel=person.channel,
                team=person.team,
                **fields,
            )
        )


def generate(
    kb: KnowledgeBase,
    data_dir: Path,
    key: bytes,
    weeks: int = 8,
    people: int = 60,
    seed: int = 7,
    now: dt.datetime | None = None,
) -> list[LogRecord]:
    rng = random.Random(seed)
    examples = _examples(data_dir)
    now = now or utc_now()
    start = now - dt.timedelta(weeks=weeks)
    crowd = _crowd(rng, key, people)
    writer = _Writer(kb, rng)
    for day in range(weeks * 7):
        progress = day / max(weeks * 7 - 1, 1)
        for person in crowd:
            if rng.random() < 0.12 * person.activity:
                when = start + dt.timedelta(days=day, hours=rng.uniform(8, 19))
                _conversation(writer, person, when, progress, examples[person.language])
    return writer.records


def _crowd(rng: random.Random, key: bytes, people: int) -> list[_Person]:
    team_names = list(TEAMS)
    crowd = []
    for n in range(people):
        team = team_names[n % len(team_names)]
        channel = _choose(rng, CHANNELS)
        crowd.append(_Person(pseudonym(key, channel, f"demo-{n}"), team, TEAMS[team], channel, rng.uniform(0.5, 2.0)))
    return crowd


@dataclass(frozen=True)
class PulseAnswer:
    user_id: str
    team: str
    week: dt.date  # the Monday of the ISO week
    score: int  # 1-5


def pulse_answers(
    key: bytes, weeks: int = 8, people: int = 60, seed: int = 7, now: dt.datetime | None = None
) -> list[PulseAnswer]:
    """The weekly pulse of the same invented people as `generate`: about two in three answer,
    and the CRM week is rated a little better as the weeks go by."""
    rng = random.Random(seed)
    crowd = _crowd(rng, key, people)
    today = (now or utc_now()).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    answers = []
    for week in range(weeks):
        monday = this_monday - dt.timedelta(weeks=weeks - week)
        for person in crowd:
            if rng.random() < 0.65:
                score = round(rng.gauss(2.6 + 1.0 * week / max(weeks - 1, 1), 0.9))
                answers.append(PulseAnswer(person.user_id, person.team, monday, max(1, min(5, score))))
    return answers


def _conversation(writer: _Writer, person: _Person, when: dt.datetime, progress: float, examples) -> None:
    rng = writer.rng
    if rng.random() < 0.08:
        text = rng.choice(NOT_UNDERSTOOD[person.language])
        writer.say(person, when, text, "nlu_fallback", rng.uniform(-0.4, 0.1))
        writer.reply(person, when, "nlu_fallback", ConversationState())
        return
    weights = [(intent, a + (b - a) * progress) for intent, (a, b) in TRENDS.items()]
    weights += [(i, 1.0) for i in writer.kb.entries if i.startswith("objection_") and i not in TRENDS]
    intent = _choose(rng, weights)
    mood = rng.gauss(-0.55 + 0.25 * progress, 0.3)
    writer.say(person, when, rng.choice(examples[intent]), intent, max(-1.0, min(1.0, mood)))
    state = writer.reply(person, when, intent, ConversationState())
    given = state.last_variant or 0
    for follow_up in ("/ask_more", "/ask_tip"):
        if rng.random() < 0.35:
            when += dt.timedelta(minutes=1)
            writer.say(person, when, follow_up, follow_up[1:], None)
            state = writer.reply(person, when, follow_up[1:], state)
    if rng.random() < 0.45:
        chance = (0.75 if intent != "objection_useless_process" else 0.35) - HELPED_LESS_PER_VARIANT * given
        helped = rng.random() < chance
        click = "feedback_helpful" if helped else "feedback_not_helpful"
        when += dt.timedelta(minutes=1)
        writer.say(person, when, f"/{click}", click, None)
        writer.reply(person, when, click, state)
    if rng.random() < 0.2:
        when += dt.timedelta(minutes=2)
        writer.say(person, when, rng.choice(examples["thanks"]), "thanks", rng.uniform(0.4, 0.95))
        writer.reply(person, when, "thanks", state)


def replace_demo_data(store: LogStore, records: list[LogRecord]) -> int:
    with store.engine.begin() as connection:
        connection.execute(delete(MessageRow.__table__).where(MessageRow.event_id.like(f"{DEMO_PREFIX}%")))
    return store.add(records)
