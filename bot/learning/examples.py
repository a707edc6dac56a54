"""The learning loop's first step: a message the coach did not understand becomes a
training example of the intent a trainer chose.

Examples go to `data/nlu/learned_<lang>.yml`, one block per intent, so every addition
is a small reviewable diff and the hand-written files stay as they are. A text the
training data already has is skipped, and so is one in the held-out files: training
on it would make the evaluation lie. When a salesperson has themselves erased, the examples
made of their messages leave these files too (`forget_examples`).

It also reads the training data for the rest of the code (`intent_examples`,
`domain_intents`), always through Rasa's own loaders, so what is counted, compared
and evaluated is exactly what Rasa trains on.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.settings import LANGUAGES, PROJECT_ROOT

# One class, no nesting: linear on any input.
_NOT_A_WORD = re.compile(r"[\W_]+")


@dataclass
class Added:
    added: list[str] = field(default_factory=list)
    already_known: list[str] = field(default_factory=list)
    held_out: list[str] = field(default_factory=list)


class IntentExample(NamedTuple):
    text: str  # as Rasa trains on it: entity markup removed
    intent: str
    language: str | None  # the block's `metadata: language:`; held-out files have none


def domain_intents(domain: Path = PROJECT_ROOT / "domain.yml") -> list[str]:
    """The intents a message can be assigned to: those the domain declares (a stable contract),
    read by Rasa's own loader (without the defaults Rasa adds, like `restart`), in alphabetical order."""
    from rasa.shared.core.domain import Domain

    with warnings.catch_warnings():  # Rasa's notes on the domain's slots are not this function's business
        warnings.simplefilter("ignore")
        declared = Domain.load(domain).as_dict().get("intents", [])
    return [next(iter(intent)) if isinstance(intent, dict) else str(intent) for intent in declared]


def intent_examples(path: Path) -> list[IntentExample]:
    """Every intent example of a Rasa NLU YAML file, read by Rasa's own loader."""
    from rasa.shared.nlu.training_data.loading import load_data

    return [
        IntentExample(message.get("text"), message.get("intent"), _block_language(message.get("metadata")))
        for message in load_data(str(path)).intent_examples
    ]


def _block_language(metadata: dict | None) -> str | None:
    language = ((metadata or {}).get("intent") or {}).get("language")
    return str(language) if language else None


def normalised(text: str) -> str:
    """The words of a text, case and punctuation aside: "Clienti miei, punto!" is "clienti miei punto",
    so a held-out message that differs from a training one only by a comma still counts as seen.
    A text of symbols only (emoji) keeps them."""
    text = unicodedata.normalize("NFKC", text).casefold()
    words = _NOT_A_WORD.sub(" ", text).split()
    return " ".join(words or text.split())


def _examples_in(path: Path) -> set[str]:
    """Every example of a Rasa NLU file, normalised, without entity markup."""
    return {normalised(example.text) for example in intent_examples(path)}


def learned_file(data_dir: Path, language: str) -> Path:
    return Path(data_dir) / "nlu" / f"learned_{language}.yml"


def add_examples(data_dir: Path, language: str, intent: str, texts: Iterable[str], intents: Iterable[str]) -> Added:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    if intent not in set(intents):
        raise ValueError(f"{intent!r} is not an intent of the domain")
    data_dir = Path(data_dir)
    known = set().union(*(_examples_in(p) for p in (data_dir / "nlu").glob("*.yml")))
    held_out = (
        _examples_in(data_dir / "tests" / f"{language}.yml")
        if (data_dir / "tests" / f"{language}.yml").exists()
        else set()
    )
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


def forget_examples(data_dir: Path, texts: Iterable[str]) -> int:
    """Removes from the learned files every example that is one of `texts` (compared normalised):
    erasing a person removes what trainers learned from their messages. Returns how many went."""
    gone = {normalised(text) for text in texts if text and text.strip()}
    if not gone:
        return 0
    removed = 0
    for language in LANGUAGES:
        path = learned_file(data_dir, language)
        if path.exists():
            with _one_writer(path.parent):
                removed += _remove(path, gone)
    return removed


@contextlib.contextmanager
def _one_writer(folder: Path) -> Iterator[None]:
    """One writer of the learned files at a time, across processes: the dashboard adds examples
    while the action server may be erasing some."""
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 4096  # type: ignore[assignment]  # ruamel's stub types it as None
    return yaml


def _example_text(line: str) -> str:
    return line[2:] if line.startswith("- ") else line


def _remove(path: Path, gone: set[str]) -> int:
    data = _yaml().load(path.read_text(encoding="utf-8"))
    blocks = (data or {}).get("nlu") or []
    removed = 0
    for block in list(blocks):
        lines = str(block.get("examples") or "").splitlines()
        kept = [line for line in lines if normalised(_example_text(line)) not in gone]
        removed += len(lines) - len(kept)
        if not kept:
            blocks.remove(block)  # Rasa refuses an intent block without examples
        elif len(kept) < len(lines):
            block["examples"] = LiteralScalarString("".join(f"{line}\n" for line in kept))
    if removed:
        _write(path, data, header="")
    return removed


def _append(path: Path, language: str, intent: str, texts: list[str]) -> None:
    with _one_writer(path.parent):
        data = _yaml().load(path.read_text(encoding="utf-8")) if path.exists() else None
        header = (
            ""
            if data
            else '# Added from the dashboard\'s "Not understood" page (bot/learning/examples.py); review like any change.\n'
        )
        if not data:
            data = {"version": "3.1", "nlu": []}
        block = next((b for b in data["nlu"] if b.get("intent") == intent), None)
        if block is None:
            block = {"intent": intent, "metadata": {"language": language}, "examples": ""}
            data["nlu"].append(block)
        lines = str(block["examples"]) + "".join(f"- {text}\n" for text in texts)
        block["examples"] = LiteralScalarString(lines)
        _write(path, data, header)


def _write(path: Path, data, header: str) -> None:
    """Replaces the file in one step: Rasa (or `coach train`) never reads half of it."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as out:
        out.write(header)
        _yaml().dump(data, out)
    os.chmod(out.name, 0o644)  # training data, like the hand-written files (the temporary file is 0600)
    os.replace(out.name, path)
