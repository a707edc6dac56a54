"""`coach kb check`: what every intent has, per language, and what is missing.

For a trainer adding an objection (knowledge/README.md), this is the checklist:
training examples, held-out examples, answer phrasings, a tip and sources in each
language, and the intent in domain.yml and data/rules.yml. It fails on any gap.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from bot.knowledge import base as knowledge
from bot.settings import LANGUAGES

MIN_TRAINING = {"answer": 20, "other": 5}  # per language; an objection needs many phrasings
MIN_HELD_OUT = 1
NOT_AN_INTENT = {"nlu_fallback"}


@dataclass
class Row:
    intent: str
    language: str
    training: int
    held_out: int
    phrasings: Optional[int]  # None: answered from the conversation texts, not a knowledge entry
    tip: Optional[bool]
    sources: Optional[int]


@dataclass
class Report:
    rows: List[Row] = field(default_factory=list)
    gaps: List[str] = field(default_factory=list)


def _examples_per_intent(files: List[Path]) -> Dict[str, Counter]:
    """{language: Counter(intent -> examples)} from Rasa NLU files whose blocks say their language."""
    counts: Dict[str, Counter] = {lang: Counter() for lang in LANGUAGES}
    for path in files:
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []) or []:
            language = (block.get("metadata") or {}).get("language") or path.stem.split("_")[-1]
            if "intent" in block and language in counts:
                lines = [l for l in str(block.get("examples", "")).splitlines() if l.strip().startswith("- ")]
                counts[language][block["intent"]] += len(lines)
    return counts


def _rule_intents(rules: Path) -> set:
    data = yaml.safe_load(rules.read_text(encoding="utf-8")) or {}
    return {step["intent"] for rule in data.get("rules", []) for step in rule.get("steps", []) if "intent" in step}


def check(root: Path, knowledge_dir: Path, data_dir: Path) -> Report:
    report = Report()
    domain_intents = set((yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}).get("intents", []))
    rule_intents = _rule_intents(data_dir / "rules.yml")
    training = _examples_per_intent(sorted((data_dir / "nlu").glob("*.yml")))
    held_out = _examples_per_intent([p for p in sorted((data_dir / "tests").glob("*.yml"))])
    try:
        kb = knowledge.load(knowledge_dir)
    except knowledge.KnowledgeError as error:
        report.gaps += [f"knowledge base: {problem}" for problem in error.problems]
        kb = None
    entries = kb.entries if kb else {}
    intents = (domain_intents | set(entries) | {i for c in training.values() for i in c}) - NOT_AN_INTENT
    for intent in sorted(intents):
        if intent not in domain_intents:
            report.gaps.append(f"{intent}: not in domain.yml (intents:)")
        if intent not in rule_intents:
            report.gaps.append(f"{intent}: no rule in data/rules.yml answers it with action_coach_reply")
        entry = entries.get(intent)
        for language in LANGUAGES:
            answer = entry.answers.get(language) if entry else None
            row = Row(
                intent, language, training[language][intent], held_out[language][intent],
                phrasings=len(answer.short) if answer else None,
                tip=bool(answer.tip) if answer else None,
                sources=len(entry.sources) if entry else None,
            )
            report.rows.append(row)
            report.gaps += _row_gaps(row, "answer" if entry or intent.startswith("objection_") else "other")
    return report


def _row_gaps(row: Row, kind: str) -> List[str]:
    where = f"{row.intent} [{row.language}]"
    gaps = []
    if row.training < MIN_TRAINING[kind]:
        gaps.append(f"{where}: {row.training} training examples, needs {MIN_TRAINING[kind]} (data/nlu/{row.language}.yml)")
    if row.held_out < MIN_HELD_OUT:
        gaps.append(f"{where}: no held-out example (data/tests/{row.language}.yml)")
    if kind == "answer":
        if not row.phrasings:
            gaps.append(f"{where}: no answer (knowledge/answers/{row.intent}.yml, {row.language}:)")
        elif row.phrasings < 2:
            gaps.append(f"{where}: {row.phrasings} answer phrasing, needs 2")
        if row.phrasings and not row.tip:
            gaps.append(f"{where}: no tip")
        if row.phrasings and not row.sources:
            gaps.append(f"{where}: no sources")
    return gaps


def format_report(report: Report) -> str:
    lines = [f"{'intent':<30} {'lang':<4} {'training':>8} {'held-out':>8} {'answers':>7} {'tip':>4} {'sources':>7}"]
    for row in report.rows:
        lines.append(
            f"{row.intent:<30} {row.language:<4} {row.training:>8} {row.held_out:>8} "
            f"{'-' if row.phrasings is None else row.phrasings:>7} {'-' if row.tip is None else ('yes' if row.tip else 'NO'):>4} "
            f"{'-' if row.sources is None else row.sources:>7}"
        )
    lines.append(f"\n{len(report.gaps)} gaps" + (":" if report.gaps else ": complete"))
    lines += [f"  - {gap}" for gap in report.gaps]
    return "\n".join(lines)
