"""Figures on the held-out files: intent macro-F1, language accuracy and sentiment macro-F1 per language.

Held-out files are never trained on: `data/tests/<lang>.yml` (intents, Rasa NLU format)
and `data/tests/sentiment/<lang>.yml` (sentiment labels).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from sklearn.metrics import accuracy_score, f1_score

from bot.nlu import sentiment
from bot.settings import LANGUAGES

Parser = Callable[[str], dict]


def read_intent_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def _macro_f1(expected: List[str], predicted: List[str]) -> float:
    return float(f1_score(expected, predicted, labels=sorted(set(expected)), average="macro", zero_division=0))


def evaluate_language(parse: Parser, tests: Path, language: str) -> Dict[str, object]:
    figures: Dict[str, object] = {}
    intents_file = tests / f"{language}.yml"
    if intents_file.exists():
        examples = read_intent_examples(intents_file)
        parsed = [parse(text) for text, _ in examples]
        expected = [intent for _, intent in examples]
        predicted = [p["intent"]["name"] for p in parsed]
        figures["intent_examples"] = len(examples)
        figures["intent_macro_f1"] = round(_macro_f1(expected, predicted), 4)
        figures["intent_accuracy"] = round(float(accuracy_score(expected, predicted)), 4)
        figures["language_accuracy"] = round(
            sum(p.get("language") == language for p in parsed) / max(len(parsed), 1), 4
        )
        figures["errors"] = [
            {"text": t, "expected": e, "predicted": p}
            for (t, e), p in zip(examples, predicted)
            if e != p
        ]
    sentiment_file = tests / "sentiment" / f"{language}.yml"
    if sentiment_file.exists():
        labelled = sentiment.read_labelled([sentiment_file])
        predicted = [parse(e.text)["sentiment"]["label"] for e in labelled]
        expected = [e.label for e in labelled]
        figures["sentiment_examples"] = len(labelled)
        figures["sentiment_macro_f1"] = round(_macro_f1(expected, predicted), 4)
    return figures


def evaluate(parse: Parser, tests: Path) -> Dict[str, Dict[str, object]]:
    return {language: evaluate_language(parse, tests, language) for language in LANGUAGES}


def below_targets(report: Dict, min_intent_f1: Optional[float], min_sentiment_f1: Optional[float]) -> List[str]:
    failures = []
    for language, figures in report.items():
        for key, target in (("intent_macro_f1", min_intent_f1), ("sentiment_macro_f1", min_sentiment_f1)):
            if target is not None and figures.get(key, 0.0) < target:
                failures.append(f"{language} {key} {figures.get(key)} < {target}")
    return failures


def format_report(report: Dict[str, Dict[str, object]]) -> str:
    lines = ["language  examples  intent macro-F1  accuracy  language acc.  sentiment examples  sentiment macro-F1"]
    for language, f in report.items():
        lines.append(
            f"{language:<9} {f.get('intent_examples', 0):>8}  {f.get('intent_macro_f1', float('nan')):>15.3f}"
            f"  {f.get('intent_accuracy', float('nan')):>8.3f}  {f.get('language_accuracy', float('nan')):>12.3f}"
            f"  {f.get('sentiment_examples', 0):>18}  {f.get('sentiment_macro_f1', float('nan')):>18.3f}"
        )
    errors = [(lang, e) for lang, f in report.items() for e in f.get("errors", [])]
    if errors:
        lines.append(f"\nmisclassified held-out examples ({len(errors)}):")
        lines += [f"  [{lang}] {e['expected']} -> {e['predicted']}: {e['text']}" for lang, e in errors]
    return "\n".join(lines)
