"""A trainer's new topic, without a developer: from a spec (a YAML file, or the dashboard's
form) to every file a new intent needs, as one reviewable change, and back.

This module owns the topic spec (name, what it means and what it is not, example phrasings
and answers per language, sources), its validation (every problem names its field:
`examples.it: 7 examples, at least 10 needed`), and the files it writes:

- `domain.yml`: the intent, one line under `intents:`;
- `data/rules.yml`: the rule answering it with `action_coach_reply`, like every objection;
- `data/nlu/topics_<lang>.yml`: about 80 % of the trainer's examples (a file of its own, so the
  hand-written training files stay as they are);
- `data/tests/<lang>.yml`: the other 20 %, held out, so the guarded training (`coach train`)
  can judge the new intent on phrasings it never trained on;
- `knowledge/answers/<name>.yml`: the answers, checked like any answer file (shape, verbatim
  quotes, figures: `KnowledgeEditor.check`);
- `knowledge/topics/<name>.yml`: the record that a trainer made it (`origin: trainer`), with
  its meaning for the next trainer; only such topics can be removed.

Blocks are appended as text and removed as the same text, so the files' comments and
formatting stay as they were and `remove` restores them byte for byte. The change is shown
as a unified diff before it is applied. domain.yml and config.yml are the ones beside the
data folder (`data_dir.parent`), so a copy of the project in a scratch folder is changed,
never the repository's own files. Additions and removals are kept in the knowledge editor's
history (`kb_history`, path `topics/<name>`), and a version can be reverted (a removed topic
re-added, an added one removed).
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Engine

from bot.knowledge import base as knowledge
from bot.knowledge.editor import KnowledgeEditor
from bot.knowledge.models import CONVERSATION_KEYS, FOUR_PS
from bot.learning.examples import domain_intents, intent_examples, normalised
from bot.settings import LANGUAGES

MIN_EXAMPLES = 10  # per language, to start
ENOUGH_EXAMPLES = 30  # under this, a warning: the coach may confuse the topic with others
MAX_EXAMPLES = 300
MAX_EXAMPLE_CHARS = 300
MAX_MEANING_CHARS = 500  # description and not_this
MAX_NAME_CHARS = 60
HELD_OUT_SHARE = 0.2
ANSWER_FIELDS = ("topic", "short", "more", "tip", "for_leads")
SPEC_KEYS = {"name", "description", "not_this", "examples", "sources", "four_ps", "rules", "answers"}
ANSWER_ACTION = "action_coach_reply"
ORIGIN = "trainer"
HISTORY_PREFIX = "topics/"
# snake_case: lowercase words joined by single underscores (linear: each repetition starts with "_").
_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# Rasa reads `[text](entity)` and `[text]{...}` in an example as entity markup.
_ENTITY_MARKUP = re.compile(r"\][({]")
_LAST_BLOCK = {"rules": re.compile(r"^( *)- rule:", re.M), "nlu": re.compile(r"^( *)- intent:", re.M)}
TRAINING_HEADER = (
    'version: "3.1"\n'
    "# The examples of the topics trainers added (bot/learning/topics.py): about 80 % of each\n"
    "# topic's phrasings; the rest are held out in data/tests/<lang>.yml. Review like any change.\n"
    "nlu:\n"
)


class TopicError(ValueError):
    """A topic cannot be added or removed; `problems` lists each as 'field: what'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class ProjectFiles:
    """Where a topic's files are: the knowledge and data folders, domain.yml beside the data folder."""

    knowledge_dir: Path
    data_dir: Path

    @property
    def root(self) -> Path:
        return Path(self.data_dir).parent

    @property
    def domain(self) -> Path:
        return self.root / "domain.yml"

    @property
    def config(self) -> Path:
        return self.root / "config.yml"

    @property
    def rules(self) -> Path:
        return Path(self.data_dir) / "rules.yml"

    def training(self, language: str) -> Path:
        return Path(self.data_dir) / "nlu" / f"topics_{language}.yml"

    def missing(self) -> list[str]:
        """Problems naming the project files a topic is written to that are not there (a product
        whose COACH_DATA_DIR has no domain.yml beside it cannot take topics)."""
        return [f"{self.shown(path)}: not found, so no topic can be written" for path in (self.domain, self.rules)
                if not path.is_file()]  # fmt: skip

    def held_out(self, language: str) -> Path:
        return Path(self.data_dir) / "tests" / f"{language}.yml"

    def answer(self, name: str) -> Path:
        return Path(self.knowledge_dir) / "answers" / f"{name}.yml"

    def record(self, name: str) -> Path:
        return Path(self.knowledge_dir) / "topics" / f"{name}.yml"

    def shown(self, path: Path) -> str:
        """A file's name in problems and diffs: relative to the project (`data/rules.yml`)."""
        for base in (self.root, Path(self.knowledge_dir).parent):
            with contextlib.suppress(ValueError):
                return str(path.relative_to(base))
        return str(path)


@dataclass
class Topic:
    name: str
    description: str
    not_this: str
    examples: dict[str, list[str]]
    sources: list[dict[str, str]]
    four_ps: list[str]
    rules: list[int]
    answers: dict[str, dict[str, Any]]

    def spec(self) -> dict[str, Any]:
        """The topic as a spec file holds it (what `coach topic add` reads and the history keeps)."""
        return {
            "name": self.name,
            "description": self.description,
            "not_this": self.not_this,
            "examples": self.examples,
            "sources": self.sources,
            "four_ps": self.four_ps,
            "rules": self.rules,
            "answers": self.answers,
        }


@dataclass
class Change:
    """What adding or removing a topic does to the files: each file's text before and after
    (None: the file does not exist), the problems that stop it and the warnings that do not."""

    files: ProjectFiles
    name: str
    texts: dict[Path, tuple[str | None, str | None]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    held_out: dict[str, int] = field(default_factory=dict)  # per language, examples held out

    @property
    def ok(self) -> bool:
        return not self.problems

    def diff(self) -> str:
        """The change as a unified diff, file by file (new files from /dev/null)."""
        out: list[str] = []
        for path, (before, after) in self.texts.items():
            name = self.files.shown(path)
            out += difflib.unified_diff(
                (before or "").splitlines(keepends=True),
                (after or "").splitlines(keepends=True),
                fromfile=f"a/{name}" if before is not None else "/dev/null",
                tofile=f"b/{name}" if after is not None else "/dev/null",
            )
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out)


# --- the spec and its validation -------------------------------------------------------------


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, (str, int, float)) else ""


def _texts(value: Any) -> list[str] | None:
    """A list of texts (whitespace collapsed, empty ones dropped), or None if it is not a list."""
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list):
        return None
    return [text for text in (_text(item) for item in value) if text]


def parse(spec: Any) -> tuple[Topic | None, list[str]]:
    """The topic of a spec (a mapping, as read from YAML or built from the form), or its problems."""
    if not isinstance(spec, Mapping):
        return None, ["file: must be a mapping with name, description, not_this, examples, sources, answers"]
    problems = [f"{key}: is not a known field (a typo?)" for key in spec if key not in SPEC_KEYS]
    name = _text(spec.get("name"))
    topic = Topic(
        name=name,
        description=_text(spec.get("description")),
        not_this=_text(spec.get("not_this")),
        examples={},
        sources=[],
        four_ps=[],
        rules=[],
        answers={},
    )
    for key in ("description", "not_this"):
        value = getattr(topic, key)
        if not value:
            problems.append(f"{key}: is missing (what the topic {'means' if key == 'description' else 'is not'})")
        elif len(value) > MAX_MEANING_CHARS:
            problems.append(f"{key}: {len(value)} characters, at most {MAX_MEANING_CHARS}")
    problems += _parse_examples(spec.get("examples"), topic)
    problems += _parse_sources(spec.get("sources"), topic)
    problems += _parse_tags(spec, topic)
    problems += _parse_answers(spec.get("answers"), topic)
    return topic, problems


def _parse_examples(value: Any, topic: Topic) -> list[str]:
    if not isinstance(value, Mapping):
        return ["examples: must give the examples per language (it, es, en)"]
    problems = []
    for language in LANGUAGES:
        texts = _texts(value.get(language))
        if texts is None:
            problems.append(f"examples.{language}: is missing (a list of example phrasings)")
            continue
        topic.examples[language] = texts
    return problems


def _parse_sources(value: Any, topic: Topic) -> list[str]:
    if not isinstance(value, list) or not value:
        return ["sources: must list at least one source (document and section)"]
    problems = []
    for number, source in enumerate(value):
        document = _text(source.get("document")) if isinstance(source, Mapping) else ""
        section = _text(source.get("section")) if isinstance(source, Mapping) else ""
        if not document or not section:
            problems.append(f"sources[{number}]: needs a document and a section (a passage copied from it)")
        else:
            topic.sources.append({"document": document, "section": section})
    return problems


def _parse_tags(spec: Mapping, topic: Topic) -> list[str]:
    problems = []
    four_ps = _texts(spec.get("four_ps") or [])
    if four_ps is None or any(p not in FOUR_PS for p in four_ps):
        problems.append(f"four_ps: must be a list of {', '.join(FOUR_PS)}")
    else:
        topic.four_ps = four_ps
    rules = spec.get("rules") or []
    if not isinstance(rules, list) or any(not isinstance(r, int) or not 1 <= r <= 10 for r in rules):
        problems.append("rules: must be a list of rule numbers, 1-10")
    else:
        topic.rules = list(rules)
    return problems


def _parse_answers(value: Any, topic: Topic) -> list[str]:
    if not isinstance(value, Mapping):
        return ["answers: must give the answers per language (it, es, en)"]
    problems = []
    for language in LANGUAGES:
        answer = value.get(language)
        if not isinstance(answer, Mapping):
            problems.append(f"answers.{language}: is missing (topic, short, more, tip, for_leads)")
            continue
        problems += [f"answers.{language}.{key}: is not a known field" for key in answer if key not in ANSWER_FIELDS]
        topic.answers[language] = {
            key: (_texts(answer.get(key)) or []) if key == "short" else _text(answer.get(key)) for key in ANSWER_FIELDS
        }
    return problems


def _name_problems(name: str, taken: Mapping[str, str]) -> list[str]:
    if not name:
        return ["name: is missing (a new intent name in snake_case, e.g. objection_too_many_tools)"]
    if len(name) > MAX_NAME_CHARS or not _NAME.fullmatch(name):
        return [f"name: {name[:MAX_NAME_CHARS]!r} must be snake_case (a-z, 0-9, single underscores), at most 60"]
    if name in taken:
        return [f"name: {name!r} is already {taken[name]}"]
    return []


def _example_problems(topic: Topic, known: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Problems and warnings of the examples: enough, not too long, none twice, none another intent's."""
    problems, warnings, seen = [], [], set()
    for language in LANGUAGES:
        texts = topic.examples.get(language)
        if texts is None:
            continue
        where = f"examples.{language}"
        if len(texts) < MIN_EXAMPLES:
            problems.append(f"{where}: {len(texts)} examples, at least {MIN_EXAMPLES} needed")
        elif len(texts) > MAX_EXAMPLES:
            problems.append(f"{where}: {len(texts)} examples, at most {MAX_EXAMPLES}")
        elif len(texts) < ENOUGH_EXAMPLES:
            warnings.append(
                f"{where}: {len(texts)} examples; with fewer than {ENOUGH_EXAMPLES} the coach may confuse this topic "
                f"with others"
            )
        for number, text in enumerate(texts):
            key = normalised(text)
            if len(text) > MAX_EXAMPLE_CHARS:
                problems.append(f"{where}[{number}]: {len(text)} characters, at most {MAX_EXAMPLE_CHARS}")
            elif not text.isprintable() or _ENTITY_MARKUP.search(text):
                problems.append(f"{where}[{number}]: has control characters or ](, which Rasa reads as markup")
            elif key in seen:
                problems.append(f"{where}[{number}]: {text!r} is given twice")
            elif key in known:
                problems.append(f"{where}[{number}]: {text!r} is already an example of {known[key]}")
            seen.add(key)
    return problems, warnings


def _answer_problems(topic: Topic) -> list[str]:
    problems = []
    for language, answer in topic.answers.items():
        for key in ANSWER_FIELDS:
            if not answer[key]:
                problems.append(f"answers.{language}.{key}: is missing")
    return problems


# --- what the files become ---------------------------------------------------------------------


def held_out_part(texts: list[str]) -> tuple[list[str], list[str]]:
    """(trained, held out): every fifth example held out, evenly spread, at least one."""
    count = max(1, round(len(texts) * HELD_OUT_SHARE))
    step = len(texts) / count
    chosen = {int(step * n + step / 2) for n in range(count)}
    return [t for i, t in enumerate(texts) if i not in chosen], [t for i, t in enumerate(texts) if i in chosen]


# What `coach kb check` asks of a trainer's topic per language: the trained part of the minimum
# (10 phrasings, 2 held out), not the 20 of a built-in objection (bot/knowledge/check.py).
MIN_TRAINED = len(held_out_part(["example"] * MIN_EXAMPLES)[0])


def _examples_block(indent: str, name: str, texts: list[str], comment: str, language: str | None) -> str:
    metadata = f"{indent}  metadata:\n{indent}    language: {language}\n" if language else ""
    lines = "".join(f"{indent}    - {text}\n" for text in texts)
    return f"{indent}# {comment}\n{indent}- intent: {name}\n{metadata}{indent}  examples: |\n{lines}"


def _rule_block(indent: str, name: str) -> str:
    return (
        f"\n{indent}# A trainer's topic (bot/learning/topics.py; `coach topic remove {name}` undoes it).\n"
        f"{indent}- rule: answer {name}\n{indent}  steps:\n"
        f"{indent}  - intent: {name}\n{indent}  - action: {ANSWER_ACTION}\n"
    )


def _appended(text: str, block: str) -> str:
    return text + ("" if not text or text.endswith("\n") else "\n") + block


def _indent_of_last(text: str, kind: str) -> str:
    found = list(_LAST_BLOCK[kind].finditer(text))
    return found[-1].group(1) if found else ""


def _with_intent(domain_text: str, name: str) -> str:
    """domain.yml with `name` added as the last item of `intents:` (the line written as the others)."""
    from ruamel.yaml import YAML

    intents = YAML().load(domain_text)["intents"]
    last = len(intents) - 1
    line, column = intents.lc.item(last)
    lines = domain_text.splitlines(keepends=True)
    if not isinstance(intents[last], str):  # an intent with options spans lines: add before the first one
        line, column = intents.lc.item(0)
        return "".join([*lines[:line], f"{lines[line][:column]}{name}\n", *lines[line:]])
    return "".join([*lines[: line + 1], f"{lines[line][:column]}{name}\n", *lines[line + 1 :]])


def _without_intent(domain_text: str, name: str) -> str | None:
    """domain.yml without the line `add` wrote for `name`, or None if it is not there as written."""
    from ruamel.yaml import YAML

    intents = YAML().load(domain_text)["intents"]
    lines = domain_text.splitlines(keepends=True)
    for number, intent in enumerate(intents):
        line, column = intents.lc.item(number)
        if intent == name and lines[line][column:].rstrip("\n") == name:
            return "".join([*lines[:line], *lines[line + 1 :]])
    return None


def answer_text(topic: Topic) -> str:
    header = (
        f"# A trainer's topic (knowledge/topics/{topic.name}.yml says what it means and what it is not);\n"
        f"# `coach topic remove {topic.name}` removes it with its training data.\n"
    )
    data: dict[str, Any] = {
        "intent": topic.name,
        "sources": topic.sources,
        "four_ps": topic.four_ps,
        "rules": topic.rules,
    }
    data.update({language: topic.answers[language] for language in LANGUAGES})
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=4096)


def record_text(topic: Topic, author: str) -> str:
    data = {
        "name": topic.name,
        "origin": ORIGIN,
        "added_by": author,
        "description": topic.description,
        "not_this": topic.not_this,
    }
    return "# Written by `coach topic add` or the dashboard's New topic page; shown to the next trainer.\n" + (
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=4096)
    )


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


# --- adding, removing, history -----------------------------------------------------------------


@dataclass(frozen=True)
class TopicRecord:
    name: str
    description: str
    not_this: str
    added_by: str


def trainer_records(knowledge_dir: Path) -> list[TopicRecord]:
    """The topics trainers made (`knowledge/topics/<name>.yml` with `origin: trainer`), by name."""
    records = []
    for path in sorted(Path(knowledge_dir, "topics").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict) and data.get("origin") == ORIGIN:
            records.append(
                TopicRecord(
                    path.stem,
                    str(data.get("description", "")),
                    str(data.get("not_this", "")),
                    str(data.get("added_by", "")),
                )
            )
    return records


@dataclass(frozen=True)
class TopicVersion:
    id: int
    name: str
    author: str
    note: str
    created_at: object


class Topics:
    def __init__(self, files: ProjectFiles, engine: Engine) -> None:
        self.files = files
        self.editor = KnowledgeEditor(files.knowledge_dir, engine)

    # what is already taken

    def _taken_names(self) -> dict[str, str]:
        from rasa.shared.core.constants import DEFAULT_ACTION_NAMES, DEFAULT_INTENTS

        taken = {name: "one of Rasa's own intents" for name in DEFAULT_INTENTS}
        taken.update({name: "one of Rasa's own actions" for name in DEFAULT_ACTION_NAMES})
        taken.update({name: "a conversation text's key" for name in CONVERSATION_KEYS})
        taken[ANSWER_ACTION] = "the coach's action"
        knowledge_dir = Path(self.files.knowledge_dir)
        taken.update({p.stem: "a knowledge entry" for p in (knowledge_dir / "answers").glob("*.yml")})
        taken.update({p.stem: "a how-to entry" for p in (knowledge_dir / "howto").glob("*.yml")})
        taken.update({name: "an intent of domain.yml" for name in domain_intents(self.files.domain)})
        return taken

    def _known_examples(self) -> dict[str, str]:
        """Every example already trained or held out (normalised) -> which intent, and where."""
        known: dict[str, str] = {}
        for folder, what in (("tests", " (held out)"), ("nlu", "")):
            for path in sorted((Path(self.files.data_dir) / folder).glob("*.yml")):
                examples = _examples_read(path)
                known.update({normalised(text): f"{intent}{what}" for text, intent in examples})
        return known

    # adding

    def plan_add(self, spec: Any, author: str = "files") -> Change:
        """What adding the topic of `spec` would write, or the problems that stop it (nothing is written)."""
        topic, problems = parse(spec)
        change = Change(self.files, topic.name if topic else "")
        if topic is None or self.files.missing():
            change.problems = problems + self.files.missing()
            return change
        problems += _name_problems(topic.name, self._taken_names())
        example_problems, change.warnings = _example_problems(topic, self._known_examples())
        problems += example_problems + _answer_problems(topic)
        if not problems:
            problems += self._checked_answer(topic)
        change.problems = problems
        if not problems:
            self._compose_add(topic, author, change)
        return change

    def _checked_answer(self, topic: Topic) -> list[str]:
        """The answer file's problems, as the knowledge editor finds them (shape, quotes, figures, lengths)."""
        checked = self.editor.check(topic.name, answer_text(topic))
        prefix = f"{knowledge.file_name(self.files.answer(topic.name), Path(self.files.knowledge_dir))}: "
        problems = []
        for problem in checked.problems:
            if problem.startswith(prefix):
                problem = problem[len(prefix) :]
                problems.append(f"answers.{problem}" if problem[:3].rstrip(".") in LANGUAGES else problem)
            else:
                problems.append(problem)
        return problems

    def _compose_add(self, topic: Topic, author: str, change: Change) -> None:
        files, name = self.files, topic.name
        domain = files.domain.read_text(encoding="utf-8")
        rules = files.rules.read_text(encoding="utf-8")
        change.texts[files.domain] = (domain, _with_intent(domain, name))
        change.texts[files.rules] = (rules, _appended(rules, _rule_block(_indent_of_last(rules, "rules"), name)))
        for language in LANGUAGES:
            trained, held_out = held_out_part(topic.examples[language])
            change.held_out[language] = len(held_out)
            training = files.training(language)
            before = _read(training)
            base = before if before is not None else TRAINING_HEADER
            block = _examples_block(
                _indent_of_last(base, "nlu"), name, trained, f"topic {name}, added by {author}", language
            )
            change.texts[training] = (before, _appended(base, block))
            tests = files.held_out(language)
            tests_before = tests.read_text(encoding="utf-8")
            comment = f"topic {name}, added by {author}: held out, never trained on"
            tests_block = _examples_block(_indent_of_last(tests_before, "nlu"), name, held_out, comment, None)
            change.texts[tests] = (tests_before, _appended(tests_before, tests_block))
        change.texts[files.answer(name)] = (None, answer_text(topic))
        change.texts[files.record(name)] = (None, record_text(topic, author))
        change.problems += self._read_back(change, topic)

    def _read_back(self, change: Change, topic: Topic) -> list[str]:
        """Rasa's own loaders read the new files as meant: the intent declared and ruled, every example
        in its file with its language. Anything else (a file laid out unlike ours) stops the change."""
        from bot.knowledge.check import rule_intents

        with tempfile.TemporaryDirectory() as scratch:
            written = {path: Path(scratch) / f"{n}{path.suffix}" for n, path in enumerate(change.texts)}
            for path, (_, after) in change.texts.items():
                written[path].write_text(after or "", encoding="utf-8")
            problems = []
            if topic.name not in domain_intents(written[self.files.domain]):
                problems.append(f"{self.files.shown(self.files.domain)}: the new intent would not be read")
            if topic.name not in rule_intents(written[self.files.rules]):
                problems.append(f"{self.files.shown(self.files.rules)}: the new rule would not be read")
            for language in LANGUAGES:
                trained, held_out = held_out_part(topic.examples[language])
                for path, expected, tagged in (
                    (self.files.training(language), trained, language),
                    (self.files.held_out(language), held_out, None),
                ):
                    found = [e for e in intent_examples(written[path]) if e.intent == topic.name]
                    if [e.text for e in found] != expected or any(e.language != tagged for e in found):
                        problems.append(f"{self.files.shown(path)}: the new examples would not be read as written")
            return problems

    def add(self, spec: Any, author: str) -> Change:
        """Adds the topic if it is valid (the change says what was written, or why nothing was)."""
        with self._one_writer():
            change = self.plan_add(spec, author)
            if change.ok:
                _apply(change)
                topic, _ = parse(spec)
                self._remember(
                    change.name, yaml.safe_dump(topic.spec() if topic else {}, allow_unicode=True), author, "added"
                )
        return change

    # removing

    def trainer_topics(self) -> list[TopicRecord]:
        return trainer_records(Path(self.files.knowledge_dir))

    def spec_of(self, name: str) -> dict[str, Any]:
        """The topic as it is now (answers as edited since), for the history and for a re-add."""
        record = yaml.safe_load(self.files.record(name).read_text(encoding="utf-8"))
        entry = yaml.safe_load(self.files.answer(name).read_text(encoding="utf-8"))
        examples = {
            language: [
                e.text
                for path in (self.files.training(language), self.files.held_out(language))
                if path.exists()
                for e in intent_examples(path)
                if e.intent == name
            ]
            for language in LANGUAGES
        }
        return {
            "name": name,
            "description": record.get("description", ""),
            "not_this": record.get("not_this", ""),
            "examples": examples,
            "sources": entry.get("sources", []),
            "four_ps": entry.get("four_ps", []),
            "rules": entry.get("rules", []),
            "answers": {language: entry.get(language, {}) for language in LANGUAGES},
        }

    def plan_remove(self, name: str) -> Change:
        change = Change(self.files, name)
        if self.files.missing():
            change.problems = self.files.missing()
            return change
        if name not in {record.name for record in self.trainer_topics()}:
            built_in = name in self._taken_names()
            change.problems.append(
                f"name: {name!r} is "
                + ("built in (not made by a trainer): it cannot be removed here" if built_in else "not a topic")
            )
            return change
        added_by = self._added_by(name)
        domain = self.files.domain.read_text(encoding="utf-8")
        without = _without_intent(domain, name)
        self._removal(change, self.files.domain, domain, without, found=without is not None)
        rules = self.files.rules.read_text(encoding="utf-8")
        indent = _indent_of(rules, f"- rule: answer {name}")
        rules_after = _cut(rules, _rule_block(indent or "", name))
        self._removal(change, self.files.rules, rules, rules_after, found=rules_after is not None)
        for language in LANGUAGES:
            self._remove_examples(change, name, added_by, language)
        for path in (self.files.answer(name), self.files.record(name)):
            change.texts[path] = (_read(path), None)
        change.problems += self._learned_elsewhere(name)
        return change

    def _added_by(self, name: str) -> str:
        data = yaml.safe_load(self.files.record(name).read_text(encoding="utf-8")) or {}
        return str(data.get("added_by", ""))

    def _remove_examples(self, change: Change, name: str, added_by: str, language: str) -> None:
        comment = f"topic {name}, added by {added_by}"
        training = self.files.training(language)
        text = _read(training) or ""
        own = _block_in(training, text, name, comment, language) if text else None
        after = _cut(text, own) if own else None
        # The file was made for the topics: with the last one gone, it goes too.
        self._removal(change, training, text, None if after == TRAINING_HEADER else after, found=after is not None)
        tests = self.files.held_out(language)
        tests_text = tests.read_text(encoding="utf-8")
        held = _block_in(tests, tests_text, name, f"{comment}: held out, never trained on", None)
        after = _cut(tests_text, held) if held else None
        self._removal(change, tests, tests_text, after, found=after is not None)

    def _removal(self, change: Change, path: Path, before: str, after: str | None, found: bool) -> None:
        if not found:
            change.problems.append(
                f"{self.files.shown(path)}: what the topic added was changed since; take {change.name} out by hand"
            )
        else:
            change.texts[path] = (before, after)

    def _learned_elsewhere(self, name: str) -> list[str]:
        """Examples of the topic added later from "Not understood" (learned_<lang>.yml): they would name
        an intent the domain no longer has, so removing waits until they are taken out."""
        problems = []
        for path in sorted((Path(self.files.data_dir) / "nlu").glob("learned_*.yml")):
            if any(e.intent == name for e in intent_examples(path)):
                problems.append(f"{self.files.shown(path)}: has examples of {name}; take them out first")
        return problems

    def remove(self, name: str, author: str) -> Change:
        with self._one_writer():
            change = self.plan_remove(name)
            if change.ok:
                spec = yaml.safe_dump(self.spec_of(name), allow_unicode=True, sort_keys=False)
                _apply(change)
                self._remember(name, spec, author, "removed")
        return change

    # history

    def _remember(self, name: str, spec: str, author: str, note: str) -> None:
        from sqlalchemy.orm import Session

        from bot.db import utc_now
        from bot.knowledge.editor import HistoryRow

        with Session(self.editor.engine, future=True) as session, session.begin():
            session.add(
                HistoryRow(path=f"{HISTORY_PREFIX}{name}", content=spec, author=author, note=note, created_at=utc_now())
            )

    def history(self) -> list[TopicVersion]:
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from bot.knowledge.editor import HistoryRow

        with Session(self.editor.engine, future=True) as session:
            rows = session.execute(
                select(HistoryRow).where(HistoryRow.path.startswith(HISTORY_PREFIX)).order_by(HistoryRow.id.desc())
            ).scalars()
            return [TopicVersion(r.id, r.path[len(HISTORY_PREFIX) :], r.author, r.note, r.created_at) for r in rows]

    def revert(self, version_id: int, author: str) -> Change:
        """Undoes one recorded change: a removed topic is added again as it was, an added one removed."""
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from bot.knowledge.editor import HistoryRow

        with Session(self.editor.engine, future=True) as session:
            row = session.execute(
                select(HistoryRow).where(HistoryRow.id == version_id, HistoryRow.path.startswith(HISTORY_PREFIX))
            ).scalar_one_or_none()
            found = (row.path[len(HISTORY_PREFIX) :], row.note, row.content) if row else None
        if found is None:
            raise TopicError([f"version: there is no topic version {version_id}"])
        name, note, content = found
        return self.remove(name, author) if note == "added" else self.add(yaml.safe_load(content), author)

    @contextlib.contextmanager
    def _one_writer(self) -> Iterator[None]:
        """One topic change at a time, across processes (the dashboard's threads, `coach topic`)."""
        folder = Path(self.files.data_dir)
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)


_READ_EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {}
_MAX_READ_FILES = 64
_READ_LOCK = threading.Lock()  # the dashboard's threads share the cache


def _examples_read(path: Path) -> tuple[tuple[str, str], ...]:
    """(text, intent) of a training file, read once per content, wherever it is (Rasa's loader
    takes seconds on the big files, and the dashboard validates a topic twice: for the diff and
    to apply it)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with _READ_LOCK:
        if digest in _READ_EXAMPLES:
            return _READ_EXAMPLES[digest]
    examples = tuple((e.text, e.intent) for e in intent_examples(path))
    with _READ_LOCK:
        if len(_READ_EXAMPLES) >= _MAX_READ_FILES:
            _READ_EXAMPLES.pop(next(iter(_READ_EXAMPLES)))
        _READ_EXAMPLES[digest] = examples
    return examples


def _indent_of(text: str, line: str) -> str | None:
    """The indentation of the first line of `text` that is `line` (after its indentation), or None."""
    found = re.search(rf"^( *){re.escape(line)}$", text, re.M)
    return found.group(1) if found else None


def _block_in(path: Path, text: str, name: str, comment: str, language: str | None) -> str | None:
    """The exact block `add` wrote in an NLU file (its examples read back with Rasa's loader), or
    None if it is not there unchanged."""
    indent = _indent_of(text, f"# {comment}")
    if indent is None:
        return None
    texts = [e.text for e in intent_examples(path) if e.intent == name]
    block = _examples_block(indent, name, texts, comment, language)
    return block if block in text else None


def _cut(text: str, block: str) -> str | None:
    """`text` without the last occurrence of `block`, or None if it is not there."""
    where = text.rfind(block)
    return None if where == -1 else text[:where] + text[where + len(block) :]


def _apply(change: Change) -> None:
    """Writes every file of the change, each in one step; if one fails, the ones written are put back."""
    done: list[tuple[Path, str | None]] = []
    try:
        for path, (before, after) in change.texts.items():
            _write(path, after)
            done.append((path, before))
    except OSError:
        for path, before in reversed(done):
            _write(path, before)
        raise


def _write(path: Path, text: str | None) -> None:
    if text is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.saving")
    scratch.write_text(text, encoding="utf-8")
    os.chmod(scratch, 0o644)
    os.replace(scratch, path)  # Rasa, the action server or `coach train` never read half a file


def load_spec(path: Path) -> Any:
    """A topic spec file's data; a YAML error becomes a TopicError naming the line."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise TopicError([f"{where}: is not valid YAML ({getattr(error, 'problem', error)})"]) from None


def copy_project(source_root: Path, knowledge_dir: Path, data_dir: Path, target: Path) -> ProjectFiles:
    """A copy of the project's topic files in `target` (domain, config, data, knowledge): for tests
    and for trying a topic without touching the real files."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("domain.yml", "config.yml"):
        shutil.copyfile(Path(source_root) / name, target / name)
    shutil.copytree(data_dir, target / "data")
    shutil.copytree(knowledge_dir, target / "knowledge")
    return ProjectFiles(target / "knowledge", target / "data")
