"""The Documents page: a trainer uploads a company document, cites it in an answer, removes
it and brings it back, all in the browser; a lead cannot; a form without its token does nothing."""

import html
import io

import pytest

from bot.knowledge import base as knowledge
from bot.knowledge.documents import CompanyDocuments
from tests.unit.dashboard.conftest import Browser, own_app
from tests.unit.knowledge.test_documents import POLICY_LINES, TITLE, blank_pdf, pdf_with_lines

INTENT = "objection_clients_are_mine"


@pytest.fixture
def documents_app(tmp_path):
    app = own_app(tmp_path)
    yield app, tmp_path / "knowledge"
    app.extensions["coach"]["store"].close()


def upload(browser, data, file_name, title=TITLE, with_token=True):
    form = {"document": (io.BytesIO(data), file_name), "title": title, "language": "en", "outlet": "Sales department"}
    return browser.post("/documents/upload", form, with_token=with_token)


def page_text(browser):
    page = browser.get("/documents")
    assert page.status_code == 200
    return html.unescape(page.text)


def company_files(root):
    return sorted(path.name for path in (root / "sources").glob("company_*"))


def test_a_trainer_uploads_cites_removes_and_restores_a_document_in_the_browser(documents_app):
    app, root = documents_app
    tina = Browser(app).login("tina")
    assert 'href="/documents"' in tina.get("/knowledge").text
    assert upload(tina, pdf_with_lines(POLICY_LINES), "policy.pdf").status_code == 302
    [name] = company_files(root)
    text = page_text(tina)
    assert f"“{TITLE}” is a source (file knowledge/sources/{name})" in text
    assert TITLE in text and "Sales department" in text and "no answer" in text

    cited = tina.post(f"/documents/{name}/cite", {"intent": INTENT, "section": TITLE})
    assert cited.status_code == 302
    assert name in (root / "answers" / f"{INTENT}.yml").read_text(encoding="utf-8")
    assert f"{INTENT} cites {name}" in page_text(tina)
    assert (
        knowledge.load(root)
        .cite(knowledge.load(root).entries[INTENT], "en", every_source=True)
        .endswith(f"«{TITLE}» (company document)")
    )

    tina.post(f"/documents/{name}/remove", {})
    assert f"Not removed: {name} is cited by {INTENT}" in page_text(tina)
    assert company_files(root) == [name]
    tina.post(f"/documents/{name}/uncite", {"intent": INTENT})
    assert name not in (root / "answers" / f"{INTENT}.yml").read_text(encoding="utf-8")
    tina.post(f"/documents/{name}/remove", {})
    assert f"Removed {name}" in page_text(tina) and company_files(root) == []

    history = CompanyDocuments(root, app.extensions["coach"]["store"].engine).history()
    uploaded = next(v for v in history if v.note == "uploaded policy.pdf")
    text = page_text(tina)
    assert "tina" in text and "Restore this version" in text and "Revert to no document" in text
    assert tina.post(f"/documents/revert/{uploaded.id}", {}).status_code == 302
    assert f"{name} is back to version {uploaded.id}" in page_text(tina)
    assert company_files(root) == [name] and name in knowledge.load(root).documents


def test_a_file_that_cannot_be_a_source_is_refused_on_the_page_with_the_reason(documents_app):
    app, root = documents_app
    tina = Browser(app).login("tina")
    assert upload(tina, blank_pdf(password="secret"), "policy.pdf").status_code == 302
    assert "Not uploaded: policy.pdf is encrypted (password-protected)" in page_text(tina)
    upload(tina, b"Some policy text.", "policy.txt", title="")
    assert "Not uploaded: title: give one" in page_text(tina)
    assert company_files(root) == []


def test_a_lead_can_neither_see_nor_upload_documents(documents_app):
    app, root = documents_app
    luca = Browser(app).login("luca")
    assert 'href="/documents"' not in luca.get("/").text
    assert luca.get("/documents").status_code == 403
    assert upload(luca, b"Some policy text.", "policy.txt").status_code == 403
    assert company_files(root) == []


def test_an_upload_without_its_csrf_token_does_nothing(documents_app):
    app, root = documents_app
    tina = Browser(app).login("tina")
    refused = upload(tina, b"Some policy text.", "policy.txt", with_token=False)
    assert refused.status_code == 400 and "This form has expired" in refused.text
    assert company_files(root) == []
