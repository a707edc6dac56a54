"""Editing a how-to entry (`knowledge/howto/<id>.yml`) from the dashboard's Topics page: one
language's title, example questions and steps, and whether it is still a shipped starter; and
writing a new entry (`create`: its id, and the three languages' texts at once).

The file stays the source of truth: an edit is written back with its comments, order and
quoting (ruamel's round trip, as answers are edited), only after the whole knowledge base
validates with it (the same validator as the files: at least 3 questions and 2 steps, none
twice, short titles and steps; and the content checks of `fidelity`, refusing only the problems
the edit brings). Every version is kept in the knowledge history (`kb_history`, path
`howto/<id>.yml`) with who saved it, for a one-click revert. The matcher (`bot.knowledge.howto`)
reads the new questions with the next knowledge base, without a retraining.

A new entry is checked the same way (its file in a copy of the knowledge folder) and is written
only whole: its first version in the history is the creation, so there is no "file before".
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from sqlalchemy.engine import Engine

from bot.knowledge.editor import KnowledgeEditor, Version, round_trip_yaml
from bot.settings import LANGUAGES

FOLDER = "howto"
LISTS = ("questions", "steps")  # one text per line in the form
MAX_TEXT_CHARS = 400  # a question or a step; the validator also limits a step to 40 words
_ID = re.compile(r"[a-z0-9_]{1,80}")  # the file names the starters use; nothing that names a path
NEW_ENTRY_COMMENT = "# Written in the dashboard (Topics > New how-to entry); edit it there or here.\n"


@dataclass(frozen=True)
class HowToFields:
    """One language of an entry as the form shows it."""

    title: str
    questions: list[str]
    steps: list[str]
    example: bool  # still the shipped starter (the whole entry, not one language)


class HowToEditor:
    def __init__(self, root: Path, engine: Engine) -> None:
        self.root = Path(root)
        self.engine = engine
        # The answers' editor checks, writes and keeps versions of any file of the knowledge folder.
        self._answers = KnowledgeEditor(self.root, engine)

    def file(self, howto_id: str) -> Path:
        """The entry's file; KeyError for an id that is not an entry (or could name another path)."""
        path = self.root / FOLDER / f"{howto_id}.yml"
        if not _ID.fullmatch(howto_id) or not path.is_file():
            raise KeyError(howto_id)
        return path

    def _relative(self, howto_id: str) -> str:
        return f"{FOLDER}/{howto_id}.yml"

    def fields(self, howto_id: str, language: str) -> HowToFields:
        data = round_trip_yaml().load(self.file(howto_id).read_text(encoding="utf-8"))
        block = data.get(language) or {}
        return HowToFields(
            title=str(block.get("title", "")),
            questions=[str(text) for text in block.get("questions") or []],
            steps=[str(text) for text in block.get("steps") or []],
            example=bool(data.get("example")),
        )

    def with_fields(self, howto_id: str, language: str, values: HowToFields) -> str:
        """The entry's text with one language's fields (and the starter flag) replaced, the rest as it was."""
        yaml = round_trip_yaml()
        data = yaml.load(self.file(howto_id).read_text(encoding="utf-8"))
        block = data.setdefault(language, {})
        if str(block.get("title", "")) != values.title:
            block["title"] = DoubleQuotedScalarString(values.title)
        for name in LISTS:
            # Unchanged texts keep their original scalar, so the diff shows only the edit; new ones
            # are quoted as the entries write them (a question may start with ¿ or end with a colon).
            before = {str(text): text for text in block.get(name) or []}
            block[name] = [before.get(text, DoubleQuotedScalarString(text)) for text in getattr(values, name)]
        if bool(data.get("example")) != values.example:
            data["example"] = values.example
        out = io.StringIO()
        yaml.dump(data, out)
        return out.getvalue()

    def check(self, howto_id: str, text: str) -> list[str]:
        """The problems of the knowledge base with `text` as the entry: its shape, and the content
        problems the edit brings (an old problem elsewhere never blocks a trainer)."""
        relative = self._relative(howto_id)
        problems = [f"{self.root.name}/{relative}: {problem}" for problem in _too_long(text)]
        return problems or self._answers.check_file(relative, text).problems

    def save(self, howto_id: str, text: str, author: str, note: str = "edited") -> list[str]:
        """Writes the entry if the knowledge base stays valid, keeping the version; else its problems."""
        problems = self.check(howto_id, text)
        if problems:
            return problems
        self._answers.keep_and_write(self.file(howto_id), text, author, note)
        return []

    def edit(self, howto_id: str, language: str, values: HowToFields, author: str) -> list[str]:
        return self.save(howto_id, self.with_fields(howto_id, language, values), author, note=f"edited ({language})")

    def create(self, howto_id: str, texts: Mapping[str, HowToFields], author: str) -> list[str]:
        """Writes a new entry (not a starter: the trainer wrote it for this CRM) if its id is free and
        the knowledge base stays valid with it; else the problems, each naming its field."""
        problems = self.id_problems(howto_id)
        if problems:
            return problems
        text = new_entry_text(howto_id, texts)
        problems = self.check(howto_id, text)
        if not problems:
            self._answers.keep_and_write(self.root / self._relative(howto_id), text, author, "created")
        return problems

    def id_problems(self, howto_id: str) -> list[str]:
        if not howto_id:
            return ["id: is missing (lowercase letters, digits and _, e.g. log_a_meeting)"]
        if not _ID.fullmatch(howto_id):
            return [f"id: {howto_id[:80]!r} must be lowercase letters, digits and _ (at most 80)"]
        if (self.root / self._relative(howto_id)).exists():
            return [f"id: {howto_id!r} is already a how-to entry"]
        return []

    def history(self, howto_id: str) -> list[Version]:
        self.file(howto_id)
        return self._answers.file_history(self._relative(howto_id))

    def revert(self, howto_id: str, version_id: int, author: str) -> list[str]:
        version = next((v for v in self.history(howto_id) if v.id == version_id), None)
        if version is None:
            return [f"version: there is no version {version_id} of {self.root.name}/{self._relative(howto_id)}"]
        return self.save(howto_id, version.content, author, note=f"reverted to version {version_id}")


def submitted(form: Mapping[str, str], example: bool, suffix: str = "") -> HowToFields:
    """The fields of the edit form: one question or step per line, blank lines dropped. `suffix`
    picks one language of the new-entry form (`title_it`, `questions_it`, ...)."""

    def lines(name: str) -> list[str]:
        return [" ".join(line.split()) for line in str(form.get(name + suffix, "")).splitlines() if line.strip()]

    title = " ".join(str(form.get("title" + suffix, "")).split())
    return HowToFields(title, lines("questions"), lines("steps"), example)


def new_entry_text(howto_id: str, texts: Mapping[str, HowToFields]) -> str:
    """A new entry's file, quoted as the starters are; a language left out is written empty, so
    the validator names its fields."""
    data = CommentedMap(id=howto_id, example=False)
    for language in LANGUAGES:
        values = texts.get(language) or HowToFields("", [], [], False)
        data[language] = CommentedMap(
            title=DoubleQuotedScalarString(values.title),
            questions=[DoubleQuotedScalarString(text) for text in values.questions],
            steps=[DoubleQuotedScalarString(text) for text in values.steps],
        )
    out = io.StringIO()
    round_trip_yaml().dump(data, out)
    return NEW_ENTRY_COMMENT + out.getvalue()


def _too_long(text: str) -> list[str]:
    """Texts over MAX_TEXT_CHARS (the validator counts words; this bounds what a word can carry)."""
    data = round_trip_yaml().load(text) or {}
    problems = []
    for language in LANGUAGES:
        block = data.get(language) or {}
        for name in LISTS:
            for number, item in enumerate(block.get(name) or []):
                if len(str(item)) > MAX_TEXT_CHARS:
                    problems.append(
                        f"{language}.{name}[{number}]: {len(str(item))} characters, at most {MAX_TEXT_CHARS}"
                    )
    return problems
