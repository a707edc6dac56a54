"""The company's own documents as sources: a trainer uploads a policy (text, Markdown or
PDF), gives it a title, and answers can then cite and quote it like the published articles.

This module owns turning an upload into a source and back: the text extracted (UTF-8
text as it is; a PDF's text with pypdf, refusing encrypted, text-less, oversized or
unreadable files with a reason a trainer understands), its whitespace normalised, stored
as `knowledge/sources/company_<slug>_<hash>.txt` with an entry in `sources.yml` marked
`kind: company`; removing one only when no answer cites it; and every upload, removal
and revert kept in the knowledge history (`kb_history`, the answers' history), so a revert
removes or restores a document. The verbatim-quote check (`fidelity`) reads the stored
text exactly as it reads the published articles'.

The file name is made here from the title and the text, never from what was uploaded, so
no upload can name a path. Extraction is synchronous CPU work: the dashboard's waitress
threads and the command line call it directly; an asyncio caller must run it in an executor.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db import utc_now
from bot.knowledge.editor import ORIGINAL, HistoryRow, KnowledgeEditor, round_trip_yaml, write_atomically
from bot.knowledge.models import Document
from bot.settings import LANGUAGES

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_TEXT_CHARACTERS = 200_000
MAX_PDF_PAGES = 200
MAX_TITLE_CHARACTERS = 200
MAX_OUTLET_CHARACTERS = 100
TEXT_SUFFIXES = (".txt", ".md")
PDF_SUFFIX = ".pdf"
COMPANY = "company"  # the `kind:` of a company document in sources.yml
PREFIX = "company_"
NAME = re.compile(r"company_[a-z0-9_]{1,40}_[0-9a-f]{8}\.txt")  # what `document_name` makes, nothing else
BEFORE_UPLOAD = "(before the upload)"
# A text with more control characters than this share is a binary file renamed .txt.
MAX_CONTROL_SHARE = 0.01

_SPACES = re.compile(r"[^\S\n]+")  # any whitespace but a line break
_BLANK_LINES = re.compile(r"\n{3,}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# sources.yml is read, changed and written whole: one writer at a time in this process.
_WRITING = threading.Lock()


class DocumentError(ValueError):
    """An upload, removal or revert refused; the message says why, for the trainer."""


@dataclass(frozen=True)
class CompanyDocument:
    name: str  # the file in knowledge/sources/, as answers cite it in `sources:`
    title: str
    outlet: str | None
    language: str
    characters: int
    cited_by: tuple[str, ...]  # the intents whose answers cite it
    opening: str  # its first line (often its heading): a section an answer can name


@dataclass(frozen=True)
class DocumentVersion:
    id: int
    name: str
    author: str
    note: str
    created_at: Any
    present: bool  # False: the version in which the document is not a source (removed, or before its upload)


# --- from an upload to clean text -------------------------------------------------


def extract_text(data: bytes, filename: str) -> str:
    """The upload's text, whitespace normalised; DocumentError says why a file cannot be a source."""
    shown = shown_name(filename)
    refuse_oversize(len(data), shown)
    if not data.strip():
        raise DocumentError(f"{shown} is empty")
    suffix = PurePath(shown).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        text = _plain_text(data, shown)
    elif suffix == PDF_SUFFIX:
        text = _pdf_text(data, shown)
    else:
        raise DocumentError(f"{shown}: upload a .txt, .md or .pdf file")
    text = normalised(text)
    if not text:
        raise DocumentError(f"{shown} has no text")
    if len(text) > MAX_TEXT_CHARACTERS:
        raise DocumentError(f"{shown} has {len(text):,} characters of text; at most {MAX_TEXT_CHARACTERS:,}")
    return text


def shown_name(filename: str) -> str:
    """The uploaded file's own name, without any folder, for messages (never for a path)."""
    return PurePath(filename.replace("\\", "/")).name or "the file"


def refuse_oversize(size: int, shown: str) -> None:
    if size > MAX_UPLOAD_BYTES:
        raise DocumentError(f"{shown} is {_megabytes(size)}; at most {_megabytes(MAX_UPLOAD_BYTES)}")


def normalised(text: str) -> str:
    """One space between words, lines trimmed, at most one blank line in a row, no control
    characters (PostgreSQL takes no NUL), accents composed (a PDF may give them apart)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(c for c in text if c == "\n" or c == "\t" or unicodedata.category(c) != "Cc")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _plain_text(data: bytes, shown: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError(f"{shown} is not UTF-8 text: save it as UTF-8, or upload the PDF") from None
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t")
    if "\x00" in text or controls > MAX_CONTROL_SHARE * len(text):
        raise DocumentError(f"{shown} looks like a binary file, not text")
    return text


def _pdf_text(data: bytes, shown: str) -> str:
    from pypdf import PdfReader

    if not data.lstrip().startswith(b"%PDF-"):
        raise DocumentError(f"{shown} is not a PDF (it does not start with %PDF-)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opened_without_password(reader):
            raise DocumentError(f"{shown} is encrypted (password-protected): save a copy without a password")
        pages = len(reader.pages)
        if pages > MAX_PDF_PAGES:
            raise DocumentError(f"{shown} has {pages} pages; at most {MAX_PDF_PAGES}")
        texts: list[str] = []
        total = 0
        for page in reader.pages:
            texts.append(page.extract_text() or "")
            total += len(texts[-1])
            if total > 2 * MAX_TEXT_CHARACTERS:  # stop reading early: it is refused anyway once normalised
                break
    except DocumentError:
        raise
    except Exception as error:  # a hostile PDF makes pypdf raise anything; the trainer gets a reason
        logger.info("pypdf could not read %s: %r", shown, error)
        raise DocumentError(f"{shown} cannot be read as a PDF ({error.__class__.__name__})") from None
    text = "\n\n".join(texts)
    if not normalised(text):
        raise DocumentError(
            f"{shown} has no text to quote (a scanned image?): export it from the original with its text, "
            "or upload the text as a .txt file"
        )
    return text


def _opened_without_password(reader: Any) -> bool:
    """A PDF encrypted only against editing opens with the empty password; any other stays shut."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # an unknown or broken encryption is just "encrypted"
        return False


def document_name(title: str, text: str) -> str:
    """`company_who_sees_my_clients_1a2b3c4d.txt`: from the title (ASCII, at most 40) and the text's hash."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = _NOT_SLUG.sub("_", ascii_title).strip("_")[:40].strip("_") or "document"
    return f"{PREFIX}{slug}_{_text_hash(text)}.txt"


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def _one_line(value: str | None, what: str, limit: int, required: bool) -> str | None:
    text = " ".join((value or "").split())
    if not text:
        if required:
            raise DocumentError(f"{what}: give one")
        return None
    if len(text) > limit:
        raise DocumentError(f"{what}: at most {limit} characters, has {len(text)}")
    return text


# --- the documents in the knowledge folder ----------------------------------------


class CompanyDocuments:
    """The company documents of the knowledge folder `root`, with their history in `engine`'s kb_history."""

    def __init__(self, root: Path, engine: Engine) -> None:
        self.root = Path(root)
        self.engine = engine

    @property
    def _sources_file(self) -> Path:
        return self.root / "sources.yml"

    def _text_file(self, name: str) -> Path:
        return self.root / "sources" / name

    def _listed(self) -> Any:
        return round_trip_yaml().load(self._sources_file.read_text(encoding="utf-8"))

    def all(self) -> list[CompanyDocument]:
        """Every company document in sources.yml, by title."""
        listed = self._listed().get("documents") or {}
        found = []
        for name, entry in listed.items():
            if not isinstance(entry, Mapping) or entry.get("kind") != COMPANY:
                continue
            path = self._text_file(str(name))
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
            found.append(
                CompanyDocument(
                    name=str(name),
                    title=str(entry.get("title", "")),
                    outlet=str(entry["outlet"]) if entry.get("outlet") else None,
                    language=str(entry.get("language", "")),
                    characters=len(text),
                    cited_by=self.citing(str(name)),
                    opening=text.split("\n", 1)[0][:MAX_TITLE_CHARACTERS],
                )
            )
        return sorted(found, key=lambda document: document.title.lower())

    def citing(self, name: str) -> tuple[str, ...]:
        """The intents whose answer files name the document (read as text: a broken file counts too)."""
        return tuple(
            path.stem
            for path in sorted((self.root / "answers").glob("*.yml"))
            if name in path.read_text(encoding="utf-8")
        )

    def add(
        self, data: bytes, filename: str, title: str, language: str, author: str, outlet: str | None = None
    ) -> CompanyDocument:
        """Makes an upload a source; DocumentError says why not (nothing is written then)."""
        clean_title = _one_line(title, "title", MAX_TITLE_CHARACTERS, required=True) or ""
        clean_outlet = _one_line(outlet, "outlet", MAX_OUTLET_CHARACTERS, required=False)
        if language not in LANGUAGES:
            raise DocumentError(f"language: one of {', '.join(LANGUAGES)}, not {language!r}")
        text = extract_text(data, filename)
        name = document_name(clean_title, text)
        entry = {"title": clean_title, "outlet": clean_outlet, "language": language, "kind": COMPANY}
        with _WRITING:
            same = [d for d in self.all() if d.name.endswith(f"_{_text_hash(text)}.txt")]
            if same:
                raise DocumentError(f"this text is already a source: {same[0].name} («{same[0].title}»)")
            self._record(name, None, "files", BEFORE_UPLOAD, only_if_new=True)
            self._write(name, entry, text)
            self._record(name, _state(entry, text), author, f"uploaded {shown_name(filename)}"[:255])
        return next(d for d in self.all() if d.name == name)

    def remove(self, name: str, author: str) -> None:
        """Removes a company document that no answer cites; DocumentError names the answers that do."""
        with _WRITING:
            state = self._current(self._known(name))
            if state is None:
                raise DocumentError(f"{name} is not a company document")
            self._refuse_if_cited(name)
            self._record(name, state, "files", ORIGINAL, only_if_new=True)
            self._delete(name)
            self._record(name, None, author, "removed")

    def history(self) -> list[DocumentVersion]:
        """Every upload, removal and revert of every company document, newest first."""
        with Session(self.engine, future=True) as session:
            rows = (
                session.execute(
                    select(HistoryRow)
                    .where(HistoryRow.path.startswith(f"sources/{PREFIX}", autoescape=True))
                    .order_by(HistoryRow.id.desc())
                )
                .scalars()
                .all()
            )
        return [
            DocumentVersion(r.id, r.path.split("/", 1)[1], r.author, r.note, r.created_at, bool(r.content))
            for r in rows
        ]

    def revert(self, version_id: int, author: str) -> str:
        """Brings a document back to a version: restored, or removed (only if no answer cites it)."""
        with _WRITING:
            row = self._version(version_id)
            name = row.path.split("/", 1)[1]
            if not row.content:
                if self._current(name) is not None:
                    self._refuse_if_cited(name)
                    self._delete(name)
            else:
                stored = json.loads(row.content)
                self._write(name, stored["entry"], stored["text"])
            self._record(name, row.content or None, author, f"reverted to version {version_id}")
        return name

    # --- the files ---

    def _known(self, name: str) -> str:
        """`name` if it is a company document's file name; no other name reaches the file system."""
        if not NAME.fullmatch(name):
            raise DocumentError(f"{name!r} is not the name of a company document (company_..._<8 hex>.txt)")
        return name

    def _current(self, name: str) -> str | None:
        entry = (self._listed().get("documents") or {}).get(name)
        path = self._text_file(name)
        if not isinstance(entry, Mapping) or entry.get("kind") != COMPANY or not path.is_file():
            return None
        return _state(dict(entry), path.read_text(encoding="utf-8"))

    def _refuse_if_cited(self, name: str) -> None:
        cited_by = self.citing(name)
        if cited_by:
            raise DocumentError(
                f"{name} is cited by {', '.join(cited_by)}: remove it from their sources first "
                "(the coach never cites a document it no longer has)"
            )

    def _write(self, name: str, entry: Mapping[str, Any], text: str) -> None:
        """The text first, then the listing: the coach never sees a listed document without its text."""
        _valid_entry(entry)
        write_atomically(self._text_file(self._known(name)), text)
        listed = CommentedMap()
        for key in ("title", "outlet", "language", "kind"):
            if entry.get(key):
                listed[key] = DoubleQuotedScalarString(entry[key]) if key in ("title", "outlet") else entry[key]
        self._change_listing(lambda documents: documents.__setitem__(name, listed))

    def _delete(self, name: str) -> None:
        """The listing first, then the text, for the same reason."""
        self._change_listing(lambda documents: documents.pop(name, None))
        self._text_file(self._known(name)).unlink(missing_ok=True)

    def _change_listing(self, change: Callable[[CommentedMap], object]) -> None:
        """sources.yml with `change` made to its documents, every other line as it was."""
        yaml = round_trip_yaml()
        data = yaml.load(self._sources_file.read_text(encoding="utf-8"))
        documents = data["documents"]
        # The comment after the last document introduces `rules:`; it stays after whichever is last now.
        trailing = _trailing_comment(documents, detach=True)
        change(documents)
        if trailing is not None and documents:
            leaf = _last_mapping(documents)
            leaf.ca.items[list(leaf)[-1]] = [None, None, trailing, None]
        out = io.StringIO()
        yaml.dump(data, out)
        write_atomically(self._sources_file, out.getvalue())

    # --- the history ---

    def _record(self, name: str, state: str | None, author: str, note: str, only_if_new: bool = False) -> None:
        path = f"sources/{name}"
        with Session(self.engine, future=True) as session, session.begin():
            if only_if_new and session.execute(select(HistoryRow.id).where(HistoryRow.path == path)).first():
                return
            session.add(HistoryRow(path=path, content=state or "", author=author, note=note, created_at=utc_now()))

    def _version(self, version_id: int) -> HistoryRow:
        with Session(self.engine, future=True) as session:
            row = session.get(HistoryRow, version_id)
        if row is None or not row.path.startswith(f"sources/{PREFIX}"):
            raise DocumentError(f"there is no version {version_id} of a company document")
        return row


# --- answers citing a document ----------------------------------------------------


def cite_in_answer(editor: KnowledgeEditor, intent: str, name: str, section: str, author: str) -> list[str]:
    """Adds the document to an answer's sources (`section`: a heading or passage copied from it),
    through the answer editor: validated and versioned like any edit; returns the problems."""
    current = _sources_of(editor, intent)
    if any(source["document"] == name for source in current):
        return [f"{intent} already cites {name}"]
    added = {"document": name, "section": " ".join(section.split())}
    return editor.save(intent, editor.with_sources(intent, [*current, added]), author, note=f"cites {name}")


def stop_citing(editor: KnowledgeEditor, intent: str, name: str, author: str) -> list[str]:
    """Takes the document out of an answer's sources; refused (with the reason) if a quote needs it."""
    current = _sources_of(editor, intent)
    kept = [source for source in current if source["document"] != name]
    if len(kept) == len(current):
        return [f"{intent} does not cite {name}"]
    return editor.save(intent, editor.with_sources(intent, kept), author, note=f"no longer cites {name}")


def _sources_of(editor: KnowledgeEditor, intent: str) -> list[dict[str, str]]:
    data = round_trip_yaml().load(editor.answer_file(intent).read_text(encoding="utf-8"))
    sources = data.get("sources") or []
    return [{"document": str(s.get("document")), "section": str(s.get("section"))} for s in sources]


def _last_mapping(mapping: CommentedMap) -> CommentedMap:
    """The innermost mapping ending `mapping`: where ruamel keeps the comment that follows it."""
    while mapping and isinstance(mapping[list(mapping)[-1]], CommentedMap):
        mapping = mapping[list(mapping)[-1]]
    return mapping


def _trailing_comment(mapping: CommentedMap, detach: bool) -> Any:
    """The comment after the mapping's last line, taken off it if `detach`; None if there is none."""
    leaf = _last_mapping(mapping)
    slots = leaf.ca.items.get(list(leaf)[-1]) if leaf else None
    if not slots or len(slots) < 3 or slots[2] is None:
        return None
    token = slots[2]
    if detach:
        slots[2] = None
    return token


def _state(entry: Mapping[str, Any], text: str) -> str:
    """A version as the history keeps it: the sources.yml entry and the text (empty: no document)."""
    kept = {key: str(entry[key]) for key in ("title", "outlet", "language", "kind") if entry.get(key)}
    return json.dumps({"entry": kept, "text": text}, ensure_ascii=False)


def _valid_entry(entry: Mapping[str, Any]) -> None:
    try:
        Document.parse_obj({key: value for key, value in entry.items() if value})
    except ValidationError as error:
        raise DocumentError(f"not a valid sources.yml entry: {error}") from None
