"""Whether the coaching content is faithful to the source documents and fit for salespeople.

This module owns the content checks `coach kb check` runs on a knowledge base that
loads (its shape is `models`'s, its cross-file references `base`'s):

- a passage in «» is verbatim in a document the entry cites (after normalising
  whitespace, apostrophes and double quotes);
- each source's `section` is found in its document (same normalisation, any case);
- every figure (a token with a digit) in short, more, tip and for_leads is in a
  document the entry cites; a range like 10-30% needs each end;
- an objection has at least 3 short answers per language, a short answer at most
  45 words, `more` at most 120;
- at most a quarter of a language's short answers send the salesperson to their manager;
- Spanish is written to tú or ustedes, never vosotros.

Each problem names the file, the field and the passage. Every check is linear in the
size of the texts: plain substring searches, and regular expressions without nested
quantifiers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.knowledge.base import Entry, KnowledgeBase, file_name
from bot.settings import LANGUAGES

MIN_OBJECTION_SHORTS = 3
MAX_SHORT_WORDS = 45
MAX_MORE_WORDS = 120
MAX_MANAGER_SHARE = 0.25
FIGURE_FIELDS = ("short", "more", "tip", "for_leads")
# Words that send the salesperson to their manager, per language.
MANAGER_WORDS = {
    "it": ("responsabile", "capo", "manager"),
    "es": ("responsable", "jefe", "jefa", "manager"),
    "en": ("manager", "boss"),
}
# Spanish second person plural of Spain: salespeople are addressed with tú or ustedes.
VOSOTROS_FORMS = (
    "podéis",
    "usáis",
    "miráis",
    "tenéis",
    "sabéis",
    "queréis",
    "vais",
    "habéis",
    "sois",
    "estáis",
    "hacéis",
    "os",
    "vosotros",
    "vosotras",
    "vuestro",
    "vuestra",
    "vuestros",
    "vuestras",
)

_QUOTE_MARKS = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "„": '"'})
_QUOTE = re.compile(r"«([^«»]*)»")
_SPACE_BEFORE_PERCENT = re.compile(r"(?<=\d) %")
_TOKEN_EDGES = ".,;:!?()[]{}«»\"'*…/"
_RANGE = re.compile(r"[-–—]")


def _words(words: Sequence[str]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)


_MANAGER = {language: _words(words) for language, words in MANAGER_WORDS.items()}
_VOSOTROS = _words(VOSOTROS_FORMS)


def normalised(text: str) -> str:
    """Whitespace collapsed, every apostrophe as ' and every double quote as "."""
    return " ".join(text.translate(_QUOTE_MARKS).split())


def _shown(text: str, limit: int = 80) -> str:
    """A passage as a problem line quotes it: one line, at most `limit` characters."""
    text = normalised(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unquoted(text: str) -> str:
    """Without quotation marks, for finding a section whatever marks it was quoted with."""
    return text.replace("«", "").replace("»", "").replace('"', "")


class _Texts:
    """The documents' texts, normalised once."""

    def __init__(self, folder: Path, names: Sequence[str]):
        self.exact: dict[str, str] = {}
        for name in names:
            path = folder / name
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
            self.exact[name] = _SPACE_BEFORE_PERCENT.sub("%", normalised(text))
        self.lower = {name: text.lower() for name, text in self.exact.items()}
        self.unquoted = {name: _unquoted(text) for name, text in self.lower.items()}


class _Report:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[str] = []

    def name(self, path: Path) -> str:
        return file_name(path, self.root)

    def add(self, path: Path, field: str, what: str) -> None:
        self.problems.append(f"{self.name(path)}: {field}: {what}")


def _answer_fields(entry: Entry, language: str) -> Iterator[tuple[str, str, str]]:
    """(kind, field, text) of every text of an entry in one language."""
    answer = entry.answers[language]
    yield "topic", f"{language}.topic", answer.topic
    for number, text in enumerate(answer.short):
        yield "short", f"{language}.short[{number}]", text
    for kind in ("more", "tip", "for_leads"):
        yield kind, f"{language}.{kind}", getattr(answer, kind)


def _contains_figure(document: str, figure: str) -> bool:
    """`figure` occurs in `document` not as part of a longer number (2012 is not in 20120)."""
    start = document.find(figure)
    while start != -1:
        end = start + len(figure)
        before = document[start - 1] if start else " "
        after = document[end] if end < len(document) else " "
        if not (figure[0].isdigit() and before.isdigit()) and not (figure[-1].isdigit() and after.isdigit()):
            return True
        start = document.find(figure, start + 1)
    return False


def figures(text: str) -> list[str]:
    """Every token with a digit, without the punctuation around it ("(2012)," -> "2012")."""
    text = _SPACE_BEFORE_PERCENT.sub("%", normalised(text)).replace("'", " ")
    return [token for token in (raw.strip(_TOKEN_EDGES) for raw in text.split()) if any(c.isdigit() for c in token)]


def _figure_parts(figure: str) -> list[str]:
    """A range is supported by both ends: "10-30%" -> ["10%", "30%"]; other figures as they are."""
    parts = [part for part in _RANGE.split(figure) if any(c.isdigit() for c in part)]
    if len(parts) > 1 and figure.endswith("%"):
        parts = [part if part.endswith("%") else f"{part}%" for part in parts]
    return parts or [figure]


class _EntryCheck:
    """The checks of one answer file against the documents it cites."""

    def __init__(self, entry: Entry, texts: _Texts, report: _Report):
        self.entry = entry
        self.texts = texts
        self.report = report
        self.cited = [name for name in dict.fromkeys(s.document for s in entry.sources) if name in texts.exact]
        self.document_ids = {name.split("_")[0] for name in texts.exact}

    def add(self, field: str, what: str) -> None:
        self.report.add(self.entry.path, field, what)

    def run(self) -> None:
        self.check_sections()
        for language in LANGUAGES:
            self.check_lengths(language)
            for kind, field, text in _answer_fields(self.entry, language):
                self.check_quotes(field, text)
                if kind in FIGURE_FIELDS:
                    self.check_figures(field, text)

    def check_sections(self) -> None:
        for number, source in enumerate(self.entry.sources):
            section = _unquoted(normalised(source.section).lower())
            document = self.texts.unquoted.get(source.document)
            if document is not None and section not in document:
                self.add(
                    f"sources[{number}].section",
                    f"{_shown(source.section)!r} is not in {source.document} "
                    "(copy a heading or a passage as it is written there)",
                )

    def check_lengths(self, language: str) -> None:
        answer = self.entry.answers[language]
        if self.entry.intent.startswith("objection_") and len(answer.short) < MIN_OBJECTION_SHORTS:
            self.add(
                f"{language}.short",
                f"an objection needs at least {MIN_OBJECTION_SHORTS} short answers, has {len(answer.short)}",
            )
        limits = [(f"{language}.short[{n}]", text, MAX_SHORT_WORDS) for n, text in enumerate(answer.short)]
        for field, text, limit in [*limits, (f"{language}.more", answer.more, MAX_MORE_WORDS)]:
            if not text.strip():
                self.add(field, "is empty")
            elif len(text.split()) > limit:
                self.add(field, f"has {len(text.split())} words, at most {limit}: {_shown(text)}")

    def check_quotes(self, field: str, text: str) -> None:
        for match in _QUOTE.finditer(text):
            passage = normalised(match.group(1))
            if not any(passage in self.texts.exact[name] for name in self.cited):
                self.add(field, f"«{_shown(passage)}» is not verbatim in the documents it cites ({self._cited()})")
        rest = _QUOTE.sub("", text)
        if "«" in rest or "»" in rest:
            self.add(field, f"has a « or » without its pair: {_shown(text)}")

    def check_figures(self, field: str, text: str) -> None:
        for figure in figures(text):
            if figure in self.document_ids:
                continue  # "004" names a document (for adoption leads), it is not a figure
            if not all(self._has_figure(part) for part in _figure_parts(figure.lower())):
                self.add(field, f"the figure {figure!r} is not in the documents it cites ({self._cited()})")

    def _has_figure(self, figure: str) -> bool:
        return any(_contains_figure(self.texts.lower[name], figure) for name in self.cited)

    def _cited(self) -> str:
        return ", ".join(self.cited) or "none listed in sources.yml"


def _check_manager_share(kb: KnowledgeBase, language: str, report: _Report) -> None:
    shorts = [(entry, n, text) for entry in kb.entries.values() for n, text in enumerate(entry.answers[language].short)]
    to_manager = [
        f"{entry.intent} short[{n}] ({found.group(0)})"
        for entry, n, text in shorts
        if (found := _MANAGER[language].search(text))
    ]
    if shorts and len(to_manager) > MAX_MANAGER_SHARE * len(shorts):
        report.problems.append(
            f"{report.name(report.root / 'answers')}: {language}.short: {len(to_manager)} of {len(shorts)} short answers "
            f"({len(to_manager) / len(shorts):.0%}) send the salesperson to their manager, at most "
            f"{MAX_MANAGER_SHARE:.0%}: {', '.join(to_manager)}"
        )


def _spanish_texts(kb: KnowledgeBase, root: Path) -> Iterator[tuple[Path, str, str]]:
    """(file, field, text) of every Spanish text: answers, conversation, how-tos."""
    for entry in kb.entries.values():
        for _, field, text in _answer_fields(entry, "es"):
            yield entry.path, field, text
    conversation = root / "conversation" / "es.yml"
    for key, alternatives in kb.conversation["es"].texts.items():
        for number, text in enumerate(alternatives):
            yield conversation, f"{key}[{number}]" if len(alternatives) > 1 else key, text
    for howto in kb.howtos.values():
        spanish = howto.texts["es"]
        yield howto.path, "es.title", spanish.title
        for kind in ("questions", "steps"):
            for number, text in enumerate(getattr(spanish, kind)):
                yield howto.path, f"es.{kind}[{number}]", text


def _check_vosotros(kb: KnowledgeBase, report: _Report) -> None:
    for path, field, text in _spanish_texts(kb, report.root):
        own_words = _QUOTE.sub("«»", normalised(text))  # a verbatim quote stays as the document wrote it
        for match in _VOSOTROS.finditer(own_words):
            context = own_words[max(0, match.start() - 30) : match.end() + 30]
            report.add(path, field, f"'{match.group(0)}' addresses vosotros; write to tú or ustedes: …{context}…")


def problems(kb: KnowledgeBase, root: Path) -> list[str]:
    """Every content problem of `kb` (loaded from the knowledge folder `root`), as 'file: field: what'."""
    root = Path(root)
    report = _Report(root)
    texts = _Texts(root / "sources", sorted(kb.documents))
    for intent in sorted(kb.entries):
        _EntryCheck(kb.entries[intent], texts, report).run()
    for language in LANGUAGES:
        _check_manager_share(kb, language, report)
    _check_vosotros(kb, report)
    return report.problems
