"""The knowledge base: answers written from the source documents, per intent and language.

This module owns loading the whole `knowledge/` folder into one `KnowledgeBase` and the
checks that need more than one file: an answer's file name matches its `intent:`, its
documents are listed in sources.yml, every listed document is in `sources/`, a how-to's
file name matches its `id:`. The shape of each file is declared in `models`; whether
answers are faithful to the documents is `fidelity`'s (run by `coach kb check`).

Files are the source of truth (trainers edit them, reviewers diff them), so loading
validates everything and reports every problem with the file and the field, instead
of failing on the first one or, worse, at answer time in front of a salesperson.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel

from bot.knowledge import models
from bot.knowledge.models import FOUR_PS, Answer, Document, HowToText, Source

__all__ = [
    "DEFAULT_KNOWLEDGE_DIR",
    "FOUR_PS",
    "Answer",
    "Document",
    "Entry",
    "HowTo",
    "KnowledgeBase",
    "KnowledgeError",
    "Source",
    "citation",
    "load",
]
from bot.settings import LANGUAGES, PROJECT_ROOT

DEFAULT_KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
PRIVACY_PLACEHOLDERS = ("{text_clause}", "{retention_days}")
HELP_CONTACT = "{help_contact}"
HELP_CONTACT_TEXTS = ("request_human", "howto_no_match")
# After a company document's title in a source line; a conversation file's `labels:
# company_document:` replaces it.
COMPANY_DOCUMENT_LABELS = {"it": "documento aziendale", "es": "documento de la empresa", "en": "company document"}

M = TypeVar("M", bound=BaseModel)


class KnowledgeError(ValueError):
    """The knowledge base has problems; `problems` lists each as 'file: field: what'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid knowledge base:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True)
class Entry:
    intent: str
    sources: tuple[Source, ...]
    four_ps: tuple[str, ...]
    rules: tuple[int, ...]
    answers: Mapping[str, Answer]
    path: Path


@dataclass(frozen=True)
class HowTo:
    """How to do one thing in the company's CRM (`ask_howto`), written by its trainers."""

    id: str
    example: bool  # a shipped starter entry, to adapt to the company's CRM
    texts: Mapping[str, HowToText]
    path: Path


@dataclass(frozen=True)
class ConversationTexts:
    texts: Mapping[str, tuple[str, ...]]
    buttons: Mapping[str, str]
    labels: Mapping[str, str]


@dataclass(frozen=True)
class KnowledgeBase:
    entries: Mapping[str, Entry]
    conversation: Mapping[str, ConversationTexts]
    documents: Mapping[str, Document]  # file name -> title, outlet, language, year; str() is the title
    rules: Mapping[int, str]  # the titles of the 10-rules article (001), for adoption leads
    howtos: Mapping[str, HowTo] = field(default_factory=dict)

    def entry(self, intent: str) -> Entry | None:
        return self.entries.get(intent)

    def topics(self, language: str) -> list[tuple[str, str]]:
        """(intent, topic label) of every entry, objections first, as a menu."""
        ordered = sorted(self.entries.values(), key=lambda e: (not e.intent.startswith("objection_"), e.intent))
        return [(e.intent, e.answers[language].topic) for e in ordered]

    def cite(self, entry: Entry, language: str, every_source: bool = False) -> str:
        """The citation line a salesperson reads: outlet and title of the main document, or of each."""
        names = list(dict.fromkeys(s.document for s in entry.sources))
        labels = self.conversation[language].labels
        company = labels.get("company_document") or COMPANY_DOCUMENT_LABELS[language]
        cited = "; ".join(citation(self.documents[name], company) for name in (names if every_source else names[:1]))
        return f"{labels['source']}: {cited}"


def citation(document: Document, company_label: str = COMPANY_DOCUMENT_LABELS["en"]) -> str:
    """`Merita Business Podcast, «Perché molti progetti CRM falliscono?»`; no outlet, no comma. A
    company document is the company's word, not a publisher's: `«Who sees my clients» (company document)`."""
    title = f"«{document.title}»" + (f" ({document.year})" if document.year else "")
    cited = f"{document.outlet}, {title}" if document.outlet else title
    return f"{cited} ({company_label})" if document.kind == "company" else cited


def file_name(path: Path, root: Path) -> str:
    """A knowledge file's name as problems show it: `knowledge/answers/objection_no_time.yml`."""
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


class _File:
    """One knowledge file being loaded: its name as trainers see it, and its problems."""

    def __init__(self, path: Path, root: Path):
        self.path = path
        self.name = file_name(path, root)
        self.problems: list[str] = []

    def add(self, field_name: str, what: str) -> None:
        self.problems.append(f"{self.name}: {field_name}: {what}")

    def read(self) -> Any:
        """The file's YAML data, or None with the problem recorded."""
        if not self.path.exists():
            self.add("file", "is missing")
            return None
        try:
            return yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else "file"
            self.add(where, f"is not valid YAML ({getattr(error, 'problem', error)})")
        except (OSError, UnicodeDecodeError) as error:
            self.add("file", f"cannot be read ({error})")
        return None

    def parse(self, model: type[M]) -> tuple[Any, M | None]:
        """The raw data (for cross-file checks even when invalid) and the validated model, or None."""
        data = self.read()
        if self.problems:
            return data, None
        parsed, problems = models.validate(model, data)
        self.problems += [f"{self.name}: {problem}" for problem in problems]
        return data, parsed


def _listed_documents(data: Any, documents: Collection[str], file: _File) -> None:
    """Every `sources[n].document` must be a document of sources.yml (checked on the raw data)."""
    sources = data.get("sources") if isinstance(data, dict) else None
    for number, source in enumerate(sources if isinstance(sources, list) else []):
        document = source.get("document") if isinstance(source, dict) else None
        if isinstance(document, str) and document.strip() and document.strip() not in documents:
            file.add(f"sources[{number}].document", f"'{document}' is not listed in knowledge/sources.yml")


def _named_like_the_file(data: Any, key: str, file: _File) -> None:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, str) and value.strip() and value.strip() != file.path.stem:
        file.add(key, f"'{value.strip()}' must match the file name '{file.path.stem}'")


def load_entry(path: Path, documents: Collection[str], root: Path, problems_out: list[str]) -> Entry | None:
    file = _File(path, root)
    data, parsed = file.parse(models.EntryFile)
    _named_like_the_file(data, "intent", file)
    _listed_documents(data, documents, file)
    problems_out.extend(file.problems)
    if parsed is None or file.problems:
        return None
    answers = {language: getattr(parsed, language) for language in LANGUAGES}
    return Entry(parsed.intent, parsed.sources, parsed.four_ps, parsed.rules, answers, path)


def _load_howto(path: Path, root: Path, problems_out: list[str]) -> HowTo | None:
    file = _File(path, root)
    data, parsed = file.parse(models.HowToFile)
    _named_like_the_file(data, "id", file)
    problems_out.extend(file.problems)
    if parsed is None or file.problems:
        return None
    return HowTo(parsed.id, parsed.example, {language: getattr(parsed, language) for language in LANGUAGES}, path)


def _check_privacy_placeholders(texts: tuple[str, ...], file: _File) -> None:
    """The privacy text states the current settings, so it must have a place for each."""
    for text in texts:
        missing = [p for p in PRIVACY_PLACEHOLDERS if p not in text]
        if missing:
            file.add("privacy", f"must contain {' and '.join(missing)} (filled in from the settings)")
            continue
        try:
            text.format(text_clause="", retention_days=0)
        except (KeyError, IndexError, ValueError):
            file.add("privacy", "has braces other than {text_clause} and {retention_days}")


def _check_help_contact(parsed: models.ConversationFile, file: _File) -> None:
    """The help contact is the salesperson's way to a person: every text that promises it shows it."""
    for key in HELP_CONTACT_TEXTS:
        if any(HELP_CONTACT not in text for text in getattr(parsed, key)):
            file.add(key, f"must contain {HELP_CONTACT} (filled in from COACH_HELP_CONTACT)")


def _load_conversation(path: Path, root: Path, problems_out: list[str]) -> ConversationTexts | None:
    file = _File(path, root)
    _, parsed = file.parse(models.ConversationFile)
    if parsed is not None:
        _check_privacy_placeholders(parsed.privacy, file)
        _check_help_contact(parsed, file)
    problems_out.extend(file.problems)
    if parsed is None:
        return None
    return ConversationTexts(texts=parsed.texts(), buttons=dict(parsed.buttons), labels=dict(parsed.labels))


def _load_sources_file(
    path: Path, root: Path, problems_out: list[str]
) -> tuple[dict[str, Document], dict[int, str], set[str]]:
    """The documents (each must be in `sources/`), the titles of the 10-rules article's rules, and
    the names listed (known even when the file is invalid, so answers are still checked against them)."""
    file = _File(path, root)
    data, parsed = file.parse(models.SourcesFile)
    documents = dict(parsed.documents) if parsed else {}
    for name in documents:
        if not (root / "sources" / name).is_file():
            file.add(f"documents.{name}", f"is not in {root.name}/sources/ (the document's text must be there)")
    problems_out.extend(file.problems)
    listed = data.get("documents") if isinstance(data, dict) else None
    names = {str(name) for name in listed} if isinstance(listed, dict) else set()
    return documents, dict(parsed.rules) if parsed else {}, names


def _load_all(paths: list[Path], load_one: Callable[[Path, list[str]], Any], problems: list[str]) -> dict[str, Any]:
    loaded = (load_one(path, problems) for path in paths)
    return {item.path.stem: item for item in loaded if item is not None}


def load(root: Path = DEFAULT_KNOWLEDGE_DIR) -> KnowledgeBase:
    """Loads and validates the whole knowledge base; raises KnowledgeError listing every problem."""
    root = Path(root)
    problems: list[str] = []
    documents, rules, names = _load_sources_file(root / "sources.yml", root, problems)
    answer_files = sorted((root / "answers").glob("*.yml"))
    if not answer_files:
        problems.append(f"{root / 'answers'}: no answer files (*.yml) found")
    entries = _load_all(answer_files, lambda path, out: load_entry(path, names, root, out), problems)
    howtos = _load_all(sorted((root / "howto").glob("*.yml")), lambda path, out: _load_howto(path, root, out), problems)
    conversation = {
        lang: _load_conversation(root / "conversation" / f"{lang}.yml", root, problems) for lang in LANGUAGES
    }
    if problems:
        raise KnowledgeError(problems)
    return KnowledgeBase(
        entries=entries,
        conversation={lang: texts for lang, texts in conversation.items() if texts is not None},
        documents=documents,
        rules=rules,
        howtos=howtos,
    )
