"""The knowledge base: answers written from the source documents, per intent and language.

Files are the source of truth (trainers edit them, reviewers diff them), so loading
validates everything and reports every problem with the file and the field, instead
of failing on the first one or, worse, at answer time in front of a salesperson.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import yaml

from bot.settings import LANGUAGES, PROJECT_ROOT

FOUR_PS = ("processes", "perception", "privacy", "politics")
RULE_NUMBERS = range(1, 11)
DEFAULT_KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"

# Texts of the conversation itself (greeting, help, privacy...). Each is a text or a
# list of alternative texts.
CONVERSATION_KEYS = (
    "greet",
    "goodbye",
    "thanks",
    "affirm",
    "deny",
    "help",
    "bot_challenge",
    "privacy",
    "privacy_text_kept",
    "privacy_text_not_kept",
    "forget",
    "forgotten",
    "forget_kept",
    "out_of_scope",
    "not_understood",
    "topics_intro",
    "feedback_helpful",
    "feedback_not_helpful",
    "no_topic_yet",
    "language_set",
    "language_usage",
    "unsupported_message",
    "edited_message",
    "not_allowed",
    "joined",
    "coach_unavailable",
)
BUTTON_KEYS = ("more", "tip", "helped", "not_helped", "erase", "keep")
LABEL_KEYS = ("source", "more", "tip")


class KnowledgeError(ValueError):
    """The knowledge base has problems; `problems` lists each as 'file: field: what'."""

    def __init__(self, problems: List[str]):
        self.problems = problems
        super().__init__("invalid knowledge base:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True)
class Source:
    document: str
    section: str


@dataclass(frozen=True)
class Answer:
    """What the bot says about one intent in one language."""

    topic: str
    short: Tuple[str, ...]
    more: str
    tip: str
    for_leads: str


@dataclass(frozen=True)
class Entry:
    intent: str
    sources: Tuple[Source, ...]
    four_ps: Tuple[str, ...]
    rules: Tuple[int, ...]
    answers: Mapping[str, Answer]
    path: Path


@dataclass(frozen=True)
class ConversationTexts:
    texts: Mapping[str, Tuple[str, ...]]
    buttons: Mapping[str, str]
    labels: Mapping[str, str]


@dataclass(frozen=True)
class KnowledgeBase:
    entries: Mapping[str, Entry]
    conversation: Mapping[str, ConversationTexts]
    documents: Mapping[str, str]
    rules: Mapping[int, str]  # the titles of the 10-rules article (001), for adoption leads

    def entry(self, intent: str) -> Optional[Entry]:
        return self.entries.get(intent)

    def topics(self, language: str) -> List[Tuple[str, str]]:
        """(intent, topic label) of every entry, objections first, as a menu."""
        ordered = sorted(self.entries.values(), key=lambda e: (not e.intent.startswith("objection_"), e.intent))
        return [(e.intent, e.answers[language].topic) for e in ordered]

    def cite(self, entry: Entry, language: str, every_source: bool = False) -> str:
        """The citation line: the main source, or every source grouped by document."""
        sections: Dict[str, List[str]] = {}
        for source in entry.sources if every_source else entry.sources[:1]:
            sections.setdefault(source.document, []).append(source.section)
        cited = " | ".join(
            f"«{self.documents[doc]}» ({doc}): {'; '.join(parts)}" for doc, parts in sections.items()
        )
        return f"{self.conversation[language].labels['source']}: {cited}"


class _Problems:
    """Collects validation problems for one file so all are reported at once."""

    def __init__(self, path: Path, root: Path):
        try:
            self.name = str(path.relative_to(root.parent))
        except ValueError:
            self.name = str(path)
        self.items: List[str] = []

    def add(self, field: str, what: str) -> None:
        self.items.append(f"{self.name}: {field}: {what}")

    def text(self, data: Mapping, key: str, field: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.add(field, "must be a non-empty text")
            return ""
        return value.strip()

    def texts(self, data: Mapping, key: str, field: str, minimum: int = 1) -> Tuple[str, ...]:
        value = data.get(key)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.add(field, "must be a text or a list of non-empty texts")
            return ()
        if len(value) < minimum:
            self.add(field, f"needs at least {minimum} alternative texts, has {len(value)}")
        if len({v.strip() for v in value}) != len(value):
            self.add(field, "has the same text twice")
        return tuple(v.strip() for v in value)

    def mapping(self, data: Any, field: str) -> Mapping:
        if not isinstance(data, dict):
            self.add(field, "must be a mapping of keys to values")
            return {}
        return data


def _read_yaml(path: Path, problems: _Problems) -> Any:
    if not path.exists():
        problems.add("file", "is missing")
        return None
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        problems.add(where, f"is not valid YAML ({getattr(error, 'problem', error)})")
    except (OSError, UnicodeDecodeError) as error:
        problems.add("file", f"cannot be read ({error})")
    return None


def _read_mapping(path: Path, problems: _Problems) -> Optional[Mapping]:
    """The file's top-level mapping, or None (with the problem recorded) when it cannot be used."""
    data = _read_yaml(path, problems)
    if problems.items:
        return None
    if not isinstance(data, dict):
        problems.add("file", "must be a mapping of keys to values")
        return None
    return data


def _load_answer(data: Any, language: str, problems: _Problems) -> Answer:
    block = problems.mapping(data, language)
    return Answer(
        topic=problems.text(block, "topic", f"{language}.topic"),
        short=problems.texts(block, "short", f"{language}.short", minimum=2),
        more=problems.text(block, "more", f"{language}.more"),
        tip=problems.text(block, "tip", f"{language}.tip"),
        for_leads=problems.text(block, "for_leads", f"{language}.for_leads"),
    )


def _load_sources(data: Any, documents: Mapping[str, str], problems: _Problems) -> Tuple[Source, ...]:
    if not isinstance(data, list) or not data:
        problems.add("sources", "must list at least one source document")
        return ()
    sources = []
    for number, item in enumerate(data):
        field = f"sources[{number}]"
        item = problems.mapping(item, field)
        document = problems.text(item, "document", f"{field}.document")
        section = problems.text(item, "section", f"{field}.section")
        if document and document not in documents:
            problems.add(f"{field}.document", f"'{document}' is not listed in knowledge/sources.yml")
        sources.append(Source(document, section))
    return tuple(sources)


def _load_tags(data: Mapping, key: str, allowed: Iterable, problems: _Problems) -> Tuple:
    value = data.get(key, [])
    allowed = list(allowed)
    if not isinstance(value, list) or any(v not in allowed for v in value):
        problems.add(key, f"must be a list of values among {allowed}")
        return ()
    return tuple(value)


def load_entry(path: Path, documents: Mapping[str, str], root: Path, problems_out: List[str]) -> Optional[Entry]:
    problems = _Problems(path, root)
    data = _read_mapping(path, problems)
    if data is None:
        problems_out.extend(problems.items)
        return None
    intent = problems.text(data, "intent", "intent")
    if intent and intent != path.stem:
        problems.add("intent", f"'{intent}' must match the file name '{path.stem}'")
    entry = Entry(
        intent=intent,
        sources=_load_sources(data.get("sources"), documents, problems),
        four_ps=_load_tags(data, "four_ps", FOUR_PS, problems),
        rules=_load_tags(data, "rules", RULE_NUMBERS, problems),
        answers={lang: _load_answer(data.get(lang), lang, problems) for lang in LANGUAGES},
        path=path,
    )
    problems_out.extend(problems.items)
    return entry


PRIVACY_PLACEHOLDERS = ("{text_clause}", "{retention_days}")


def _check_privacy_placeholders(texts: Tuple[str, ...], problems: "_Problems") -> None:
    """The privacy text states the current settings, so it must have a place for each."""
    for text in texts:
        missing = [p for p in PRIVACY_PLACEHOLDERS if p not in text]
        if missing:
            problems.add("privacy", f"must contain {' and '.join(missing)} (filled in from the settings)")
            continue
        try:
            text.format(text_clause="", retention_days=0)
        except (KeyError, IndexError, ValueError):
            problems.add("privacy", "has braces other than {text_clause} and {retention_days}")


def _load_conversation(path: Path, root: Path, problems_out: List[str]) -> Optional[ConversationTexts]:
    problems = _Problems(path, root)
    data = _read_mapping(path, problems)
    if data is None:
        problems_out.extend(problems.items)
        return None
    texts = {key: problems.texts(data, key, key) for key in CONVERSATION_KEYS}
    _check_privacy_placeholders(texts["privacy"], problems)
    buttons_data = problems.mapping(data.get("buttons"), "buttons")
    labels_data = problems.mapping(data.get("labels"), "labels")
    buttons = {key: problems.text(buttons_data, key, f"buttons.{key}") for key in BUTTON_KEYS}
    labels = {key: problems.text(labels_data, key, f"labels.{key}") for key in LABEL_KEYS}
    problems_out.extend(problems.items)
    return ConversationTexts(texts=texts, buttons=buttons, labels=labels)


def _load_sources_file(path: Path, root: Path, problems_out: List[str]) -> Tuple[Dict[str, str], Dict[int, str]]:
    """The documents' titles, and the titles of the 10-rules article's rules."""
    problems = _Problems(path, root)
    data = _read_mapping(path, problems) or {}
    documents = problems.mapping(data.get("documents"), "documents") if not problems.items else {}
    for name, title in documents.items():
        if not isinstance(title, str) or not title.strip():
            problems.add(f"documents.{name}", "must be the document's title")
    rules = problems.mapping(data.get("rules"), "rules") if not problems.items else {}
    missing = [n for n in RULE_NUMBERS if not isinstance(rules.get(n), str) or not rules[n].strip()]
    if missing:
        problems.add("rules", f"needs the title of every rule 1-10; missing: {', '.join(map(str, missing))}")
    problems_out.extend(problems.items)
    return {str(k): str(v) for k, v in documents.items()}, {int(k): str(v) for k, v in rules.items()}


def load(root: Path = DEFAULT_KNOWLEDGE_DIR) -> KnowledgeBase:
    """Loads and validates the whole knowledge base; raises KnowledgeError listing every problem."""
    root = Path(root)
    problems: List[str] = []
    documents, rules = _load_sources_file(root / "sources.yml", root, problems)
    entries = {}
    answer_files = sorted((root / "answers").glob("*.yml"))
    if not answer_files:
        problems.append(f"{root / 'answers'}: no answer files (*.yml) found")
    for path in answer_files:
        entry = load_entry(path, documents, root, problems)
        if entry is not None:
            entries[entry.intent] = entry
    conversation = {
        lang: _load_conversation(root / "conversation" / f"{lang}.yml", root, problems) for lang in LANGUAGES
    }
    if problems:
        raise KnowledgeError(problems)
    return KnowledgeBase(entries=entries, conversation=conversation, documents=documents, rules=rules)
