"""Figures on the held-out files, per language, and where the understanding fails.

- intent macro-F1 and accuracy, language accuracy, sentiment macro-F1;
- the out-of-scope false-answer rate: the share of held-out off-topic messages that got
  coaching (an objection's answer, adoption advice, a how-to) instead of the honest
  out-of-scope reply; and the objections' recall, which that must not cost;
- the five most confused (expected -> predicted) intent pairs;
- a baseline, TF-IDF n-grams + logistic regression trained on the same training files,
  which the pipeline has to beat in every language.

Held-out files are never trained on: `data/tests/<lang>.yml` (intents, Rasa NLU format)
and `data/tests/sentiment/<lang>.yml` (sentiment labels).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import Pipeline, make_union

from bot.learning.examples import intent_examples
from bot.nlu import sentiment
from bot.settings import LANGUAGES

Parser = Callable[[str], dict]
OUT_OF_SCOPE = "out_of_scope"
# Intents whose reply coaches: an off-topic message answered with one of these is a false answer.
COACHING_INTENTS_OUTSIDE_OBJECTIONS = ("ask_failure_causes", "ask_adoption_advice", "ask_howto")
CONFUSED_PAIRS = 5


def coaches(intent: str | None) -> bool:
    return intent is not None and (intent.startswith("objection_") or intent in COACHING_INTENTS_OUTSIDE_OBJECTIONS)


def train_baseline(training_files: Sequence[Path]) -> Callable[[list[str]], list[str]]:
    """TF-IDF word and character n-grams + logistic regression, on the pipeline's training files."""
    examples = [(e.text, e.intent) for path in training_files for e in intent_examples(path)]
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True),
    )
    model = Pipeline([("features", features), ("classifier", LogisticRegression(C=10, max_iter=3000))])
    model.fit([text for text, _ in examples], [intent for _, intent in examples])
    return lambda texts: [str(label) for label in model.predict(texts)]


def _false_answers(expected: list[str], predicted: list[str]) -> tuple[int, int]:
    """(off-topic messages, of which coached) among the held-out examples."""
    off_topic = [p for e, p in zip(expected, predicted, strict=True) if e == OUT_OF_SCOPE]
    return len(off_topic), sum(coaches(p) for p in off_topic)


def _objection_recall(expected: list[str], predicted: list[str]) -> float:
    pairs = [(e, p) for e, p in zip(expected, predicted, strict=True) if e.startswith("objection_")]
    return sum(e == p for e, p in pairs) / max(len(pairs), 1)


def _most_confused(expected: list[str], predicted: list[str]) -> list[dict[str, object]]:
    pairs = Counter((e, p) for e, p in zip(expected, predicted, strict=True) if e != p)
    return [{"expected": e, "predicted": p, "count": n} for (e, p), n in pairs.most_common(CONFUSED_PAIRS)]


def read_intent_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file, read by Rasa's own loader."""
    return [(example.text, example.intent) for example in intent_examples(path)]


def _macro_f1(expected: list[str], predicted: list[str]) -> float:
    return float(f1_score(expected, predicted, labels=sorted(set(expected)), average="macro", zero_division=0))


def evaluate_language(
    parse: Parser, tests: Path, language: str, baseline: Callable[[list[str]], list[str]] | None = None
) -> dict[str, object]:
    figures: dict[str, object] = {}
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
        off_topic, false_answers = _false_answers(expected, predicted)
        figures["out_of_scope_examples"] = off_topic
        figures["out_of_scope_false_answer_rate"] = round(false_answers / max(off_topic, 1), 4)
        figures["objection_recall"] = round(_objection_recall(expected, predicted), 4)
        figures["most_confused"] = _most_confused(expected, predicted)
        if baseline is not None:
            figures["baseline_intent_macro_f1"] = round(_macro_f1(expected, baseline([t for t, _ in examples])), 4)
        figures["errors"] = [
            {"text": t, "expected": e, "predicted": p} for (t, e), p in zip(examples, predicted, strict=True) if e != p
        ]
    sentiment_file = tests / "sentiment" / f"{language}.yml"
    if sentiment_file.exists():
        labelled = sentiment.read_labelled([sentiment_file])
        predicted = [parse(e.text)["sentiment"]["label"] for e in labelled]
        expected = [e.label for e in labelled]
        figures["sentiment_examples"] = len(labelled)
        figures["sentiment_macro_f1"] = round(_macro_f1(expected, predicted), 4)
    return figures


def evaluate(parse: Parser, tests: Path, training_files: Sequence[Path] = ()) -> dict[str, dict[str, object]]:
    baseline = train_baseline(training_files) if training_files else None
    return {language: evaluate_language(parse, tests, language, baseline) for language in LANGUAGES}


ANY_LANGUAGE = "*"


def parse_targets(value: str) -> dict[str, float]:
    """A target for every language ("0.93"), or a language's own beside it ("0.93,it=0.91")."""
    targets: dict[str, float] = {}
    for part in value.split(","):
        language, _, figure = part.strip().rpartition("=")
        if language and language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r} (expected one of {', '.join(LANGUAGES)})")
        target = float(figure)
        # NaN compares false with every figure: it would pass any model without a word.
        if not 0.0 <= target <= 1.0:
            raise ValueError(f"{figure!r} is not a macro-F1 between 0 and 1")
        targets[language or ANY_LANGUAGE] = target
    return targets


def _target(targets: float | dict[str, float] | None, language: str) -> float | None:
    if isinstance(targets, dict):
        return targets.get(language, targets.get(ANY_LANGUAGE))
    return targets


def below_targets(
    report: dict,
    min_intent_f1: float | dict[str, float] | None,
    min_sentiment_f1: float | None,
    max_false_answer_rate: float | None = None,
    beat_baseline: bool = False,
) -> list[str]:
    """What misses its target, a line each; `min_intent_f1` may set a language's own (`parse_targets`)."""
    failures = []
    for language, figures in report.items():
        for key, targets in (("intent_macro_f1", min_intent_f1), ("sentiment_macro_f1", min_sentiment_f1)):
            target = _target(targets, language)
            if target is not None and figures.get(key, 0.0) < target:
                failures.append(f"{language} {key} {figures.get(key)} < {target}")
        rate = figures.get("out_of_scope_false_answer_rate")
        if max_false_answer_rate is not None and rate is not None and rate > max_false_answer_rate:
            failures.append(f"{language} out-of-scope false-answer rate {rate} > {max_false_answer_rate}")
        baseline = figures.get("baseline_intent_macro_f1")
        if beat_baseline and baseline is not None and figures.get("intent_macro_f1", 0.0) <= baseline:
            failures.append(f"{language} intent macro-F1 {figures.get('intent_macro_f1')} <= baseline {baseline}")
    return failures


def _errors(figures: dict[str, object]) -> list[dict]:
    errors = figures.get("errors")
    return errors if isinstance(errors, list) else []


def _figure(figures: dict[str, object], key: str) -> float:
    value = figures.get(key)
    return float(value) if isinstance(value, (int, float)) else float("nan")


def format_report(report: dict[str, dict[str, object]]) -> str:
    lines = [
        "language  examples  intent macro-F1  baseline  accuracy  objection recall  out-of-scope answered"
        "  language acc.  sentiment macro-F1"
    ]
    for language, f in report.items():
        lines.append(
            f"{language:<9} {f.get('intent_examples', 0):>8}  {_figure(f, 'intent_macro_f1'):>15.3f}"
            f"  {_figure(f, 'baseline_intent_macro_f1'):>8.3f}  {_figure(f, 'intent_accuracy'):>8.3f}"
            f"  {_figure(f, 'objection_recall'):>16.3f}"
            f"  {_figure(f, 'out_of_scope_false_answer_rate'):>13.3f} of {f.get('out_of_scope_examples', 0):<4}"
            f"  {_figure(f, 'language_accuracy'):>13.3f}  {_figure(f, 'sentiment_macro_f1'):>18.3f}"
        )
    for language, f in report.items():
        confused = f.get("most_confused")
        if isinstance(confused, list) and confused:
            pairs = ", ".join(f"{c['expected']} -> {c['predicted']} ({c['count']})" for c in confused)
            lines.append(f"most confused [{language}]: {pairs}")
    errors = [(lang, e) for lang, f in report.items() for e in _errors(f)]
    if errors:
        lines.append(f"\nmisclassified held-out examples ({len(errors)}):")
        lines += [f"  [{lang}] {e['expected']} -> {e['predicted']}: {e['text']}" for lang, e in errors]
    return "\n".join(lines)
