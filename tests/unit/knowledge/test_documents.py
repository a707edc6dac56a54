"""The company's own documents as sources: an upload (text, Markdown, PDF) becomes a cited,
quotable source checked like the published articles; bad files are refused with the reason;
removal waits for the answers citing it; history and revert cover documents.

The policy below is the tests' example only: the shipped knowledge base has no invented policy."""

import io
import shutil

import pytest
import yaml
from pypdf import PdfWriter

from bot import cli
from bot.adoption_log.store import LogStore
from bot.knowledge import base as knowledge
from bot.knowledge import fidelity
from bot.knowledge.check import check
from bot.knowledge.documents import (
    MAX_PDF_PAGES,
    MAX_TEXT_CHARACTERS,
    MAX_UPLOAD_BYTES,
    CompanyDocuments,
    DocumentError,
    cite_in_answer,
    stop_citing,
)
from bot.knowledge.editor import KnowledgeEditor
from bot.knowledge.replies import ConversationState, compose
from tests.conftest import ROOT

TITLE = "Who sees a salesperson's clients"
POLICY_LINES = [
    TITLE,
    "Policy of the sales department.",
    "Your clients' records in the CRM are visible to you and to your direct sales manager only.",
    "Other salespeople do not see your clients, their contacts or your notes.",
    "Marketing sees aggregated figures, never single records.",
]
QUOTE = "Other salespeople do not see your clients, their contacts or your notes."
INTENTS = ("objection_clients_are_mine", "objection_customer_privacy")


def pdf_with_lines(lines: list[str]) -> bytes:
    """A one-page PDF with `lines` as text (Helvetica), written by hand: what an exported policy looks like."""
    shown = " ".join(f"({line}) Tj 0 -16 Td" for line in lines)
    stream = f"BT /F1 11 Tf 72 740 Td {shown} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def blank_pdf(pages: int = 1, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    if password:
        writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def store(migrated_log):
    return migrated_log


@pytest.fixture
def root(tmp_path):
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    return tmp_path / "knowledge"


@pytest.fixture
def documents(root, store):
    return CompanyDocuments(root, store.engine)


@pytest.fixture
def sqlite_documents(root, tmp_path):
    """For what never reaches the history (refusals): one database is enough."""
    store = LogStore(f"sqlite:///{tmp_path / 'coach.db'}")
    store.migrate()
    yield CompanyDocuments(root, store.engine)
    store.close()


@pytest.fixture
def editor(root, store):
    return KnowledgeEditor(root, store.engine)


def files_of(root):
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.mark.parametrize(
    ("file_name", "data"),
    [
        ("policy.txt", "\n".join(POLICY_LINES).encode("utf-8")),
        ("policy.md", ("# " + "\n\n".join(POLICY_LINES)).encode("utf-8")),
        ("policy.pdf", pdf_with_lines(POLICY_LINES)),
    ],
    ids=["txt", "md", "pdf"],
)
def test_a_text_markdown_or_pdf_file_becomes_a_company_source(documents, root, file_name, data):
    added = documents.add(data, file_name, TITLE, "en", "tina", outlet="Sales department")
    assert added.name.startswith("company_who_sees_a_salesperson_s_clients_") and added.name.endswith(".txt")
    text = (root / "sources" / added.name).read_text(encoding="utf-8")
    assert QUOTE in text and "Marketing sees aggregated figures, never single records." in text
    listed = yaml.safe_load((root / "sources.yml").read_text(encoding="utf-8"))["documents"][added.name]
    assert listed == {"title": TITLE, "outlet": "Sales department", "language": "en", "kind": "company"}
    kb = knowledge.load(root)
    assert kb.documents[added.name].kind == "company" and kb.documents[added.name].title == TITLE
    assert [d.name for d in documents.all()] == [added.name]


def test_whitespace_is_normalised_and_the_sources_file_keeps_its_comments(documents, root):
    before = (root / "sources.yml").read_text(encoding="utf-8")
    added = documents.add(
        "Line   one\twith  tabs \r\n\r\n\r\n\r\nLine\u00a0two\n".encode(), "a.txt", "Spaces", "it", "tina"
    )
    assert (root / "sources" / added.name).read_text(encoding="utf-8") == "Line one with tabs\n\nLine two"
    # Only the new entry is added, after the last document; the comment introducing the rules stays before them.
    entry = f'  {added.name}:\n    title: "Spaces"\n    language: it\n    kind: company'
    expected = before.replace(
        "\n\n# The rules of the 10-rules article", f"\n{entry}\n\n# The rules of the 10-rules article"
    )
    assert expected != before and (root / "sources.yml").read_text(encoding="utf-8") == expected


@pytest.mark.parametrize(
    ("file_name", "data", "reason"),
    [
        ("policy.pdf", blank_pdf(password="secret"), "policy.pdf is encrypted (password-protected)"),
        ("policy.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 40, "policy.pdf cannot be read as a PDF"),
        ("policy.pdf", b"PK\x03\x04 a zip file really", "policy.pdf is not a PDF"),
        ("scan.pdf", blank_pdf(), "scan.pdf has no text to quote (a scanned image?)"),
        ("long.pdf", blank_pdf(pages=MAX_PDF_PAGES + 1), f"long.pdf has {MAX_PDF_PAGES + 1} pages; at most"),
        ("big.txt", b"a" * (MAX_UPLOAD_BYTES + 1), "big.txt is 2.0 MB; at most 2.0 MB"),
        ("long.txt", b"word " * (MAX_TEXT_CHARACTERS // 4), "long.txt has 249,999 characters of text; at most"),
        ("latin1.txt", "Politica sulla privacy: è così".encode("latin-1"), "latin1.txt is not UTF-8 text"),
        ("image.txt", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;" * 10, "image.txt looks like a binary file"),
        ("policy.docx", b"PK\x03\x04", "policy.docx: upload a .txt, .md or .pdf file"),
        ("empty.txt", b" \n\n ", "empty.txt is empty"),
    ],
    ids=lambda value: value if isinstance(value, str) and "." in value and len(value) < 20 else "",
)
def test_a_file_that_cannot_be_a_source_is_refused_with_the_reason_and_nothing_is_written(
    sqlite_documents, root, file_name, data, reason
):
    before = files_of(root)
    with pytest.raises(DocumentError) as refused:
        sqlite_documents.add(data, file_name, TITLE, "en", "tina")
    assert reason in str(refused.value)
    assert files_of(root) == before and sqlite_documents.history() == []


@pytest.mark.parametrize(
    ("title", "language", "reason"),
    [("  ", "en", "title: give one"), ("x" * 201, "en", "title: at most 200"), (TITLE, "fr", "language: one of")],
)
def test_a_title_and_a_language_are_required(sqlite_documents, title, language, reason):
    with pytest.raises(DocumentError, match=reason):
        sqlite_documents.add(b"Some policy text.", "policy.txt", title, language, "tina")


def test_the_file_name_comes_from_the_title_never_from_the_upload(sqlite_documents, root, tmp_path):
    added = sqlite_documents.add(
        b"Some policy text.", "../../../etc/passwd.txt", "../../Évaluation 2026!", "it", "tina"
    )
    assert added.name.startswith("company_evaluation_2026_")
    assert (root / "sources" / added.name).is_file() and not (tmp_path / "etc").exists()
    assert sqlite_documents.history()[0].note == "uploaded passwd.txt"
    for name in ("../sources.yml", "company_x_12345678.txt/../../sources.yml", "000_be2e64df6b6ebba3.txt"):
        with pytest.raises(DocumentError, match="is not"):
            sqlite_documents.remove(name, "tina")
    assert (root / "sources.yml").is_file() and (root / "sources" / "000_be2e64df6b6ebba3.txt").is_file()


def test_the_same_text_twice_is_refused(sqlite_documents):
    first = sqlite_documents.add(b"Some policy text.", "policy.txt", "Policy", "en", "tina")
    with pytest.raises(DocumentError, match=f"already a source: {first.name}"):
        sqlite_documents.add(b"Some policy text.\n", "copy.txt", "Another title", "en", "tina")


def _quote_in_more(editor, intent, quote):
    values = editor.fields(intent, "en")
    values["more"] = f"Your company's written policy is clear: «{quote}» Your clients stay in your hands."
    return editor.with_fields(intent, "en", values)


def test_answers_quoting_the_policy_pass_the_check_and_a_misquote_is_refused(documents, editor, root):
    added = documents.add(pdf_with_lines(POLICY_LINES), "policy.pdf", TITLE, "en", "tina")
    for intent in INTENTS:
        assert cite_in_answer(editor, intent, added.name, TITLE, "tina") == []
        assert editor.save(intent, _quote_in_more(editor, intent, QUOTE), "tina") == []
    kb = knowledge.load(root)
    assert fidelity.problems(kb, root) == []
    content_gaps = [gap for gap in check(ROOT, root, ROOT / "data").gaps if gap.startswith("content:")]
    assert content_gaps == []

    misquote = "Other salespeople never see your clients."
    problems = editor.save(INTENTS[0], _quote_in_more(editor, INTENTS[0], misquote), "tina")
    [problem] = problems
    assert problem.startswith(f"knowledge/answers/{INTENTS[0]}.yml: en.more: «{misquote}» is not verbatim")
    assert added.name in problem
    # Written by hand instead, `coach kb check` finds it.
    path = root / "answers" / f"{INTENTS[0]}.yml"
    path.write_text(path.read_text(encoding="utf-8").replace(QUOTE, misquote), encoding="utf-8")
    assert any(f"«{misquote}» is not verbatim" in gap for gap in check(ROOT, root, ROOT / "data").gaps)


def test_a_section_not_in_the_document_is_refused(documents, editor):
    added = documents.add("\n".join(POLICY_LINES).encode(), "policy.txt", TITLE, "en", "tina")
    problems = cite_in_answer(editor, INTENTS[0], added.name, "Who sees my pipeline", "tina")
    assert any("sources[" in p and "'Who sees my pipeline' is not in" in p for p in problems)
    assert documents.all()[0].cited_by == ()


def test_the_source_line_names_a_company_document_in_each_language(documents, editor, root):
    added = documents.add("\n".join(POLICY_LINES).encode(), "policy.txt", TITLE, "en", "tina")
    shipped = yaml.safe_load(editor.answer_file(INTENTS[0]).read_text(encoding="utf-8"))["sources"]
    company_first = [{"document": added.name, "section": TITLE}, *shipped]
    assert editor.save(INTENTS[0], editor.with_sources(INTENTS[0], company_first), "tina") == []
    kb = knowledge.load(root)
    expected = {
        "it": f"Fonte: «{TITLE}» (documento aziendale)",
        "es": f"Fuente: «{TITLE}» (documento de la empresa)",
        "en": f"Source: «{TITLE}» (company document)",
    }
    for language, source in expected.items():
        reply = compose(kb, INTENTS[0], language, ConversationState())
        assert reply.source == source and reply.text.endswith(source)


def test_a_cited_document_is_removed_only_once_no_answer_cites_it(documents, editor, root):
    added = documents.add("\n".join(POLICY_LINES).encode(), "policy.txt", TITLE, "en", "tina")
    for intent in INTENTS:
        assert cite_in_answer(editor, intent, added.name, TITLE, "tina") == []
    with pytest.raises(DocumentError, match=f"cited by {INTENTS[0]}, {INTENTS[1]}"):
        documents.remove(added.name, "tina")
    assert (root / "sources" / added.name).is_file()
    # A quote needs its document: the citation stays until the quote goes.
    assert editor.save(INTENTS[0], _quote_in_more(editor, INTENTS[0], QUOTE), "tina") == []
    assert any("is not verbatim" in p for p in stop_citing(editor, INTENTS[0], added.name, "tina"))
    editor.revert(INTENTS[0], editor.history(INTENTS[0])[-1].id, "tina")  # the answer as shipped
    assert stop_citing(editor, INTENTS[1], added.name, "tina") == []
    assert documents.all()[0].cited_by == ()
    documents.remove(added.name, "anna")
    assert not (root / "sources" / added.name).exists() and added.name not in knowledge.load(root).documents
    assert (root / "sources.yml").read_text(encoding="utf-8") == (ROOT / "knowledge" / "sources.yml").read_text(
        encoding="utf-8"
    )


def test_history_and_revert_remove_and_restore_a_document(documents, root):
    original = files_of(root)
    added = documents.add("\n".join(POLICY_LINES).encode(), "policy.txt", TITLE, "en", "tina")
    uploaded = files_of(root)
    documents.remove(added.name, "anna")
    removed, upload, before = documents.history()
    assert [(v.author, v.note, v.present) for v in (removed, upload, before)] == [
        ("anna", "removed", False),
        ("tina", "uploaded policy.txt", True),
        ("files", "(before the upload)", False),
    ]
    assert documents.revert(upload.id, "luca") == added.name
    assert files_of(root) == uploaded
    assert (documents.history()[0].author, documents.history()[0].note) == ("luca", f"reverted to version {upload.id}")
    documents.revert(before.id, "luca")
    assert files_of(root) == original
    with pytest.raises(DocumentError, match="there is no version 999999"):
        documents.revert(999999, "luca")


def test_revert_does_not_remove_a_document_an_answer_cites(documents, editor, root):
    added = documents.add("\n".join(POLICY_LINES).encode(), "policy.txt", TITLE, "en", "tina")
    cite_in_answer(editor, INTENTS[0], added.name, TITLE, "tina")
    before = [v for v in documents.history() if not v.present][0]
    with pytest.raises(DocumentError, match=f"cited by {INTENTS[0]}"):
        documents.revert(before.id, "tina")
    assert added.name in knowledge.load(root).documents


def test_the_command_line_adds_and_removes_a_document(root, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'coach.db'}")
    policy = tmp_path / "policy.md"
    policy.write_text("\n".join(POLICY_LINES), encoding="utf-8")
    base = ["kb", "--knowledge", str(root)]
    assert cli.main([*base[:1], "add-document", str(policy), "--title", TITLE, "--language", "en", *base[1:]]) == 0
    [name] = [path.name for path in (root / "sources").glob("company_*.txt")]
    assert f"coach: {name} («{TITLE}»" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main([*base[:1], "add-document", str(policy), "--title", "Again", "--language", "en", *base[1:]])
    assert "this text is already a source" in capsys.readouterr().err
    assert cli.main([*base[:1], "remove-document", name, *base[1:]]) == 0
    assert not (root / "sources" / name).exists()
