"""`coach kb check`: what every intent has, per language, and what is missing.

For a trainer adding an objection (knowledge/README.md), this is the checklist:
training examples, held-out examples, answer phrasings, a tip and sources in each
language, and the intent in domain.yml and data/rules.yml. It also runs the content
checks of `fidelity` (verbatim quotes, sections and figures found in the documents,
lengths, manager share, no vosotros). Retired short answers (`retired:`) stay in `short:`, so
they are checked like the others: one may be given again at any time. It fails on any gap.
Training data, domain and rules are read with Rasa's own loaders.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge import base as knowledge
from bot.knowledge import fidelity
from bot.learning import topics
from bot.learning.examples import domain_intents, intent_examples
from bot.settings import LANGUAGES

# Trained examples per language: a built-in objection needs many phrasings; a trainer's topic
# (knowledge/topics/, origin: trainer) is held to the bar of its New topic page: 10 phrasings, 8 trained.
MIN_TRAINING = {"answer": 20, "trainer topic": topics.MIN_TRAINED, "other": 5}
TRAINING_FILE = {"trainer topic": "data/nlu/topics_{language}.yml"}  # else data/nlu/<language>.yml
MIN_HELD_OUT = 1
NOT_AN_INTENT = {"nlu_fallback"}


@dataclass
class Row:
    intent: str
    language: str
    training: int
    held_out: int
    phrasings: int | None  # None: answered from the conversation texts, not a knowledge entry
    tip: bool | None
    sources: int | None
    needed: int  # trained examples this intent needs (its bar in MIN_TRAINING)


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    howtos: int | None = None  # how-to entries (ask_howto), None when the knowledge base did not load
    starter_howtos: int = 0  # of which shipped starters (`example: true`) still to adapt


def _examples_per_intent(files: list[Path]) -> dict[str, Counter]:
    """{language: Counter(intent -> examples)}; a block's language is its metadata's, else the
    file name's (`it.yml`, `learned_it.yml`: the held-out files have no metadata)."""
    counts: dict[str, Counter] = {lang: Counter() for lang in LANGUAGES}
    for path in files:
        for example in intent_examples(path):
            language = example.language or path.stem.split("_")[-1]
            if language in counts:
                counts[language][example.intent] += 1
    return counts


def rule_intents(rules: Path) -> set[str]:
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    steps = YAMLStoryReader().read_from_file(rules)
    return {event.intent_name for step in steps for event in step.events if isinstance(event, UserUttered)}


def _load_and_check_content(knowledge_dir: Path, report: Report) -> knowledge.KnowledgeBase | None:
    """The knowledge base, with its problems (or, when it loads, its content problems) as gaps."""
    try:
        kb = knowledge.load(knowledge_dir)
    except knowledge.KnowledgeError as error:
        report.gaps += [f"knowledge base: {problem}" for problem in error.problems]
        return None
    report.gaps += [f"content: {problem}" for problem in fidelity.problems(kb, knowledge_dir)]
    report.howtos = len(kb.howtos)
    report.starter_howtos = sum(howto.example for howto in kb.howtos.values())
    return kb


def check(root: Path, knowledge_dir: Path, data_dir: Path) -> Report:
    report = Report()
    declared = set(domain_intents(root / "domain.yml"))
    ruled = rule_intents(data_dir / "rules.yml")
    training = _examples_per_intent(sorted((data_dir / "nlu").glob("*.yml")))
    held_out = _examples_per_intent(sorted((data_dir / "tests").glob("*.yml")))
    kb = _load_and_check_content(Path(knowledge_dir), report)
    entries = kb.entries if kb else {}
    trainer_made = {record.name for record in topics.trainer_records(Path(knowledge_dir))}
    intents = (declared | set(entries) | {i for c in training.values() for i in c}) - NOT_AN_INTENT
    for intent in sorted(intents):
        if intent not in declared:
            report.gaps.append(f"{intent}: not in domain.yml (intents:)")
        if intent not in ruled:
            report.gaps.append(f"{intent}: no rule in data/rules.yml answers it with action_coach_reply")
        entry = entries.get(intent)
        kind = "trainer topic" if intent in trainer_made else _kind(intent, entry)
        for language in LANGUAGES:
            row = _row(
                intent, language, entry, training[language][intent], held_out[language][intent], MIN_TRAINING[kind]
            )
            report.rows.append(row)
            report.gaps += _row_gaps(row, kind)
    return report


def _kind(intent: str, entry: knowledge.Entry | None) -> str:
    return "answer" if entry or intent.startswith("objection_") else "other"


def _row(intent: str, language: str, entry: knowledge.Entry | None, training: int, held_out: int, needed: int) -> Row:
    answer = entry.answers.get(language) if entry else None
    return Row(
        intent,
        language,
        training,
        held_out,
        phrasings=len(answer.short) if answer else None,
        tip=bool(answer.tip) if answer else None,
        sources=len(entry.sources) if entry else None,
        needed=needed,
    )


def _row_gaps(row: Row, kind: str) -> list[str]:
    where = f"{row.intent} [{row.language}]"
    gaps = []
    if row.training < row.needed:
        file = TRAINING_FILE.get(kind, "data/nlu/{language}.yml").format(language=row.language)
        bar = " as a trainer's topic" if kind == "trainer topic" else ""
        gaps.append(f"{where}: {row.training} training examples, needs {row.needed}{bar} ({file})")
    if row.held_out < MIN_HELD_OUT:
        gaps.append(f"{where}: no held-out example (data/tests/{row.language}.yml)")
    if kind != "other":
        if not row.phrasings:
            gaps.append(f"{where}: no answer (knowledge/answers/{row.intent}.yml, {row.language}:)")
        if row.phrasings and not row.tip:
            gaps.append(f"{where}: no tip")
        if row.phrasings and not row.sources:
            gaps.append(f"{where}: no sources")
    return gaps


def format_report(report: Report) -> str:
    lines = [
        f"{'intent':<30} {'lang':<4} {'training':>8} {'needed':>6} {'held-out':>8} {'answers':>7} {'tip':>4} "
        f"{'sources':>7}"
    ]
    for row in report.rows:
        lines.append(
            f"{row.intent:<30} {row.language:<4} {row.training:>8} {row.needed:>6} {row.held_out:>8} "
            f"{'-' if row.phrasings is None else row.phrasings:>7} {'-' if row.tip is None else ('yes' if row.tip else 'NO'):>4} "
            f"{'-' if row.sources is None else row.sources:>7}"
        )
    lines.append(
        f"\ntraining examples needed per language: {MIN_TRAINING['answer']} for an answered intent, "
        f"{MIN_TRAINING['trainer topic']} for a trainer's topic (knowledge/topics/, origin: trainer; "
        f"{topics.MIN_EXAMPLES} phrasings with {topics.MIN_EXAMPLES - topics.MIN_TRAINED} held out), "
        f"{MIN_TRAINING['other']} for the others"
    )
    if report.howtos is not None:
        lines.append(
            f"\nhow-tos (ask_howto): {report.howtos}, of which {report.starter_howtos} starter examples to adapt"
        )
    lines.append(f"\n{len(report.gaps)} gaps" + (":" if report.gaps else ": complete"))
    lines += [f"  - {gap}" for gap in report.gaps]
    return "\n".join(lines)
