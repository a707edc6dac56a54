"""`make compare`: the product's NLU pipeline against variants without one of its parts, each
trained on the same data and measured on the same held-out files (figures, not a test).

variants: the product (config.yml); whitespace tokens instead of spaCy's; without the
out-of-scope guard; without the E5 embeddings; without the USE embeddings. Each takes a full NLU training (minutes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPACY = "bot.nlu.spacy_tokenizer.LanguageAwareTokenizer"
GUARD = "bot.nlu.scope_guard.ScopeGuard"
E5 = "bot.nlu.e5_featurizer.E5Featurizer"
USE = "bot.nlu.use_featurizer.USEFeaturizer"


def _without(pipeline: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [step for step in pipeline if step["name"] != name]


def _whitespace_tokens(pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": "WhitespaceTokenizer"} if step["name"] == SPACY else step for step in pipeline]


VARIANTS = {
    "product": lambda pipeline: pipeline,
    "whitespace tokens": _whitespace_tokens,
    "no out-of-scope guard": lambda pipeline: _without(pipeline, GUARD),
    "no E5 embeddings": lambda pipeline: _without(pipeline, E5),
    "no USE embeddings": lambda pipeline: _without(pipeline, USE),
}


def _evaluate(name: str, config: dict[str, Any], work: Path) -> dict[str, Any]:
    path = work / f"{name.replace(' ', '_')}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    model = name.replace(" ", "_")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "nlu",
            "--config",
            str(path),
            "--nlu",
            "data/nlu",
            "--out",
            str(work),
            "--fixed-model-name",
            model,
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    report = subprocess.run(
        [sys.executable, "-m", "bot.cli", "eval", "--json", "--model", str(work / f"{model}.tar.gz")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return json.loads(report.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", choices=list(VARIANTS), help="just these variants")
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    print("variant                 lang  intent macro-F1  baseline  objection recall  out-of-scope answered")
    with tempfile.TemporaryDirectory() as scratch:
        for name, change in VARIANTS.items():
            if args.only and name not in args.only:
                continue
            report = _evaluate(name, {**config, "pipeline": change(config["pipeline"])}, Path(scratch))
            for language, figures in report.items():
                print(
                    f"{name:<23} {language:<4}  {figures['intent_macro_f1']:>15.3f}  "
                    f"{figures.get('baseline_intent_macro_f1', float('nan')):>8.3f}  "
                    f"{figures['objection_recall']:>16.3f}  {figures['out_of_scope_false_answer_rate']:>21.3f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
