"""The learning loop's first step: a message the coach did not understand becomes a
training example of the intent a trainer chose.

Examples go to `data/nlu/learned_<lang>.yml`, one block per intent, so every addition
is a small reviewable diff and the hand-written files stay as they are. A text the
training data already has is skipped, and so is one in the held-out files: training
on it would make the evaluation lie.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Set

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.settings import LANGUAGES
from bot.settings import PROJECT_ROOT

_EXAMPLE = re.compile(r"^\s*-\s+(.*)$")


@dataclass
class Added:
    added: List[str] = field(default_factory=list)
    already_known: List[str] = field(default_factory=list)
    held_out: List[str] = field(default_factory=list)


def domain_intents(domain: Path = PROJECT_ROOT / "domain.yml") -> List[str]:
    """The intents a message can be assigned to: the domain's (a stable contract)."""
    return list(YAML(typ="safe").load(domain.read_text(encoding="utf-8")).get("intents", []))


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


def _examples_in(path: Path) -> Set[str]:
    """Every example line of a Rasa NLU file, normalised, without entity markup's brackets."""
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _EXAMPLE.match(line)
        if match:
            found.add(normalised(re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", match.group(1))))
    return found


def learned_file(data_dir: Path, language: str) -> Path:
    return Path(data_dir) / "nlu" / f"learned_{language}.yml"


def add_examples(data_dir: Path, language: str, intent: str, texts: Iterable[str], intents: Iterable[str]) -> Added:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    if intent not in set(intents):
        raise ValueError(f"{intent!r} is not an intent of the domain")
    data_dir = Path(data_dir)
    known = set().union(*(_examples_in(p) for p in (data_dir / "nlu").glob("*.yml")))
    held_out = _examples_in(data_dir / "tests" / f"{language}.yml") if (data_dir / "tests" / f"{language}.yml").exists() else set()
    result = Added()
    for text in texts:
        text = " ".join(str(text).split())
        key = normalised(text)
        if not key:
            continue
        if key in held_out:
            result.held_out.append(text)
        elif key in known:
            result.already_known.append(text)
        else:
            known.add(key)
            result.added.append(text)
    if result.added:
        _append(learned_file(data_dir, language), language, intent, result.added)
    return result


def _append(path: Path, language: str, intent: str, texts: List[str]) -> None:
    yaml = YAML()
    yaml.width = 4096
    data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    header = "" if data else '# Added from the dashboard\'s "Not understood" page (bot/learning/examples.py); review like any change.\n'
    if not data:
        data = {"version": "3.1", "nlu": []}
    block = next((b for b in data["nlu"] if b.get("intent") == intent), None)
    if block is None:
        block = {"intent": intent, "metadata": {"language": language}, "examples": ""}
        data["nlu"].append(block)
    lines = str(block["examples"]) + "".join(f"- {text}\n" for text in texts)
    block["examples"] = LiteralScalarString(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write(header)
        yaml.dump(data, out)
