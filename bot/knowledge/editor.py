"""Editing an answer from the dashboard, safely: the files in knowledge/ stay the source
of truth (reviewable in version control), every save passes the same validator as
the files, and every version is kept with who saved it and when, for a one-click revert.
Retiring a short answer (`retire`) is such an edit too: the text is listed under the
language's `retired:` and stays in `short:`; the validator refuses retiring the last active one.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from sqlalchemy import Column, DateTime, Integer, String, Text, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db import Base, utc_now
from bot.knowledge import base as knowledge
from bot.knowledge import fidelity

FIELDS = ("topic", "short", "more", "tip", "for_leads")
ORIGINAL = "(the file before the first edit)"


class HistoryRow(Base):
    __tablename__ = "kb_history"

    id = Column(Integer, primary_key=True, autoincrement=True)
    path = Column(String(255), nullable=False, index=True)
    content = Column(Text, nullable=False)
    author = Column(String(64), nullable=False)
    note = Column(String(255), nullable=False)
    created_at = Column(DateTime, nullable=False)


@dataclass(frozen=True)
class Version:
    id: int
    author: str
    note: str
    created_at: object
    content: str


def round_trip_yaml() -> YAML:
    yaml = YAML()  # round trip: comments, order and quoting survive an edit
    yaml.preserve_quotes = True  # type: ignore[assignment]  # (ruamel types the default, None)
    yaml.width = 4096  # type: ignore[assignment]  # one line per text, as trainers write them
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


class KnowledgeEditor:
    def __init__(self, root: Path, engine: Engine) -> None:
        self.root = Path(root)
        self.engine = engine

    def answer_file(self, intent: str) -> Path:
        path = self.root / "answers" / f"{intent}.yml"
        if path.parent != self.root / "answers" or not path.exists():
            raise KeyError(intent)
        return path

    def _relative(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    def fields(self, intent: str, language: str) -> dict[str, object]:
        block = round_trip_yaml().load(self.answer_file(intent).read_text(encoding="utf-8")).get(language) or {}
        return {name: (list(block.get(name) or []) if name == "short" else block.get(name, "")) for name in FIELDS}

    def with_fields(self, intent: str, language: str, values: dict[str, object]) -> str:
        """The answer file's text with one language's fields replaced, everything else as it was."""
        yaml = round_trip_yaml()
        data = yaml.load(self.answer_file(intent).read_text(encoding="utf-8"))
        block = data.setdefault(language, {})
        for name in FIELDS:
            if name == "short":
                # Unchanged texts keep their original scalar (quoting), so the diff shows only the edit.
                before = {str(text): text for text in block.get(name) or []}
                submitted = values.get(name)
                texts = [str(t).strip() for t in submitted] if isinstance(submitted, list) else []
                block[name] = [before.get(t, t) for t in texts if t]
                _forget_retired_not_in(block, texts)
            elif str(block.get(name, "")) != str(values.get(name) or "").strip():
                block[name] = str(values.get(name) or "").strip()
        out = io.StringIO()
        yaml.dump(data, out)
        return out.getvalue()

    def with_sources(self, intent: str, sources: list[dict[str, str]]) -> str:
        """The answer file's text citing `sources` ({document, section} each) instead, the rest as it was."""
        yaml = round_trip_yaml()
        data = yaml.load(self.answer_file(intent).read_text(encoding="utf-8"))
        before = {(str(s.get("document")), str(s.get("section"))): s for s in data.get("sources") or []}
        # Unchanged sources keep their original mapping (quoting, comments), so the diff shows only the change.
        data["sources"] = [before.get((s["document"], s["section"]), dict(s)) for s in sources]
        out = io.StringIO()
        yaml.dump(data, out)
        return out.getvalue()

    def short_answers(self, intent: str, language: str) -> list[str]:
        """A language's short answers as the file has them now (retired ones too)."""
        block = round_trip_yaml().load(self.answer_file(intent).read_text(encoding="utf-8")).get(language) or {}
        return [str(text).strip() for text in block.get("short") or []]

    def with_retired(self, intent: str, language: str, short: str, retired: bool = True) -> str:
        """The answer file's text with one of a language's short answers retired (or given again)."""
        yaml = round_trip_yaml()
        data = yaml.load(self.answer_file(intent).read_text(encoding="utf-8"))
        block = data.setdefault(language, {})
        listed = [text for text in block.get("retired") or [] if str(text).strip() != short]
        block["retired"] = [*listed, short] if retired else listed
        _forget_retired_not_in(block, [str(text).strip() for text in block.get("short") or []])
        out = io.StringIO()
        yaml.dump(data, out)
        return out.getvalue()

    def retire(self, intent: str, language: str, short: str, author: str, retired: bool = True) -> list[str]:
        """Stop giving one short answer (or give it again); the problems if that is refused."""
        if short not in self.short_answers(intent, language):
            return [f"{intent} {language}: that short answer is no longer in the file (edited meanwhile?)"]
        note = f"{'retired' if retired else 'gave again'} a short answer ({language})"
        return self.save(intent, self.with_retired(intent, language, short, retired), author, note=note)

    def check(self, intent: str, text: str) -> Checked:
        """Validate the whole knowledge base as it would be with `text` saved for `intent`."""
        return self.check_file(f"answers/{intent}.yml", text)

    def check_file(self, relative: str, text: str) -> Checked:
        """Validate the whole knowledge base as it would be with `text` as the file `relative` (to
        the knowledge folder): its shape, and faithfulness to the documents (only problems the edit
        brings are refused, so an old problem elsewhere never blocks a trainer)."""
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / self.root.name
            shutil.copytree(self.root, copy)
            before = set(self._content_problems(copy))
            (copy / relative).write_text(text, encoding="utf-8")
            try:
                kb = knowledge.load(copy)
            except knowledge.KnowledgeError as error:
                return Checked(None, list(error.problems))
            added = [problem for problem in fidelity.problems(kb, copy) if problem not in before]
            return Checked(None if added else kb, added)

    @staticmethod
    def _content_problems(root: Path) -> list[str]:
        try:
            return fidelity.problems(knowledge.load(root), root)
        except knowledge.KnowledgeError:
            return []

    def save(self, intent: str, text: str, author: str, note: str = "edited") -> list[str]:
        """Write the file if the knowledge base stays valid; returns the problems otherwise."""
        problems = self.check(intent, text).problems
        if problems:
            return problems
        self.keep_and_write(self.answer_file(intent), text, author, note)
        return []

    def keep_and_write(self, path: Path, text: str, author: str, note: str) -> None:
        """Write a checked file of the knowledge folder, keeping the version (and the file as it was
        before its first edit, unless the write creates it) in the history."""
        with Session(self.engine, future=True) as session, session.begin():
            relative = self._relative(path)
            first = session.execute(select(HistoryRow.id).where(HistoryRow.path == relative)).first() is None
            if first and path.exists():
                session.add(
                    HistoryRow(
                        path=relative,
                        content=path.read_text(encoding="utf-8"),
                        author="files",
                        note=ORIGINAL,
                        created_at=utc_now(),
                    )
                )
            session.add(HistoryRow(path=relative, content=text, author=author, note=note, created_at=utc_now()))
        write_atomically(path, text)

    def history(self, intent: str) -> list[Version]:
        return self.file_history(self._relative(self.answer_file(intent)))

    def file_history(self, relative: str) -> list[Version]:
        """Every kept version of a file of the knowledge folder, the newest first."""
        with Session(self.engine, future=True) as session:
            rows = (
                session.execute(select(HistoryRow).where(HistoryRow.path == relative).order_by(HistoryRow.id.desc()))
                .scalars()
                .all()
            )
        return [Version(r.id, r.author, r.note, r.created_at, r.content) for r in rows]

    def revert(self, intent: str, version_id: int, author: str) -> list[str]:
        version = next((v for v in self.history(intent) if v.id == version_id), None)
        if version is None:
            return [f"there is no version {version_id} of {intent}"]
        return self.save(intent, version.content, author, note=f"reverted to version {version_id}")


@dataclass(frozen=True)
class Checked:
    kb: knowledge.KnowledgeBase | None
    problems: list[str]


def _forget_retired_not_in(block, short: list[str]) -> None:
    """A retired text no longer among the short answers (edited or removed) is retired no more;
    an empty `retired:` list is left out of the file."""
    retired = [text for text in block.get("retired") or [] if str(text).strip() in short]
    if retired:
        block["retired"] = retired
    elif "retired" in block:
        del block["retired"]


def write_atomically(path: Path, text: str) -> None:
    # The action server may read the file at any moment: it sees the old or the new, never half.
    scratch = path.with_name(f".{path.name}.saving")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)
