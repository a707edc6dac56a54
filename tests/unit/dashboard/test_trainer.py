"""The trainers' pages: edit with preview, save, history, revert; assign not-understood messages."""

import shutil

import pytest

from bot.adoption_log import demo_data
from bot.adoption_log.store import LogStore
from bot.dashboard.app import create_app
from bot.dashboard.users import Users
from bot.knowledge import base as knowledge
from bot.learning.evaluation import read_intent_examples
from bot.settings import load
from tests.conftest import ROOT
from tests.unit.dashboard.conftest import NOW, PASSWORDS, Browser


@pytest.fixture
def trainer_app(tmp_path):
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    settings = load(
        {
            "COACH_VAR_DIR": str(tmp_path),
            "COACH_SECRET_KEY": "k",
            "COACH_KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
            "COACH_DATA_DIR": str(tmp_path / "data"),
        }
    )
    store = LogStore(settings.log_db_url)
    store.migrate()
    store.add(demo_data.generate(knowledge.load(), ROOT / "data" / "nlu", b"k", weeks=2, people=20, now=NOW))
    for name, (role, password) in PASSWORDS.items():
        Users(store.engine).add(name, password, role)
    yield create_app(settings, store=store), tmp_path
    store.close()


def test_a_lead_cannot_edit_answers(trainer_app):
    app, _ = trainer_app
    lead = Browser(app).login("luca")
    assert lead.get("/knowledge").status_code == 403
    assert lead.get("/knowledge/objection_no_time/it").status_code == 403


def test_edit_preview_save_history_revert(trainer_app):
    app, root = trainer_app
    tina = Browser(app).login("tina")
    page = tina.get("/knowledge/objection_no_time/it")
    assert page.status_code == 200 and "Dimmi di più" not in page.text
    values = app.extensions["coach"]["editor"].fields("objection_no_time", "it")
    values["short"][0] = "Capisco, il tempo è poco: proviamo a trovarlo insieme."
    preview = tina.post("/knowledge/objection_no_time/it/preview", values).get_json()
    assert preview["ok"] and preview["answer"].startswith(
        "Capisco, il tempo è poco: proviamo a trovarlo insieme.\n\nFonte:"
    )
    assert preview["buttons"] == ["Dimmi di più", "Un consiglio pratico", "Mi è stato utile", "Non mi ha aiutato"]

    saved = tina.post("/knowledge/objection_no_time/it", values)
    assert saved.status_code == 302
    file = root / "knowledge" / "answers" / "objection_no_time.yml"
    assert "Capisco, il tempo è poco: proviamo a trovarlo insieme." in file.read_text(encoding="utf-8")
    history = tina.get("/knowledge/objection_no_time/history").text
    assert "tina" in history and "the file before the first edit" in history

    first = app.extensions["coach"]["editor"].history("objection_no_time")[-1]
    assert tina.post(f"/knowledge/objection_no_time/revert/{first.id}", {}).status_code == 302
    assert "Capisco, il tempo è poco" not in file.read_text(encoding="utf-8")


def test_an_invalid_answer_is_not_saved_and_the_page_says_why(trainer_app):
    app, root = trainer_app
    tina = Browser(app).login("tina")
    values = app.extensions["coach"]["editor"].fields("objection_no_time", "en")
    values["short"] = ["Only one answer."]
    preview = tina.post("/knowledge/objection_no_time/en/preview", values).get_json()
    assert not preview["ok"] and "en.short: needs at least 2 alternative texts" in " ".join(preview["problems"])
    response = tina.post("/knowledge/objection_no_time/en", values)
    assert response.status_code == 422 and "Not saved" in response.text and "en.short" in response.text
    assert "Only one answer." not in (root / "knowledge" / "answers" / "objection_no_time.yml").read_text(
        encoding="utf-8"
    )


def test_a_broken_file_shows_on_the_knowledge_page(trainer_app):
    app, root = trainer_app
    tina = Browser(app).login("tina")
    tina.get("/knowledge")
    (root / "knowledge" / "answers" / "objection_just_a_fad.yml").write_text("es: [broken", encoding="utf-8")
    live = app.extensions["coach"]["knowledge"]
    live._checked = -1e9  # do not wait for the next periodic check
    page = tina.get("/knowledge").text
    assert 'id="kb-problems"' in page and "objection_just_a_fad.yml" in page


def test_not_understood_messages_become_training_examples_once(trainer_app):
    app, root = trainer_app
    tina = Browser(app).login("tina")
    page = tina.get("/not-understood?start=2026-11-01&end=2026-11-20").text
    assert 'class="assign"' in page
    texts = ["come esporto i contatti in excel?", "come si esportano i contatti su excel"]
    form = {"language": "it", "intent": "out_of_scope", "text": texts}
    tina.post("/not-understood/assign?start=2026-11-01", form)
    learned = (root / "data" / "nlu" / "learned_it.yml").read_text(encoding="utf-8")
    assert all(f"- {t}" in learned for t in texts) and "intent: out_of_scope" in learned
    tina.post("/not-understood/assign", form)
    assert (root / "data" / "nlu" / "learned_it.yml").read_text(encoding="utf-8") == learned, "no duplicates"
    held_out = read_intent_examples(root / "data" / "tests" / "it.yml")[0][0]
    response = tina.post("/not-understood/assign", {"language": "it", "intent": "greet", "text": [held_out]})
    assert held_out not in (root / "data" / "nlu" / "learned_it.yml").read_text(encoding="utf-8")
    assert "held-out" in tina.get(response.headers["Location"]).text
    bad = tina.post("/not-understood/assign", {"language": "it", "intent": "objection_invented", "text": ["x y z"]})
    assert "is not an intent of the domain" in tina.get(bad.headers["Location"]).text


def test_a_preview_answered_after_the_save_does_not_swallow_the_saved_message(trainer_app):
    """The page asks for a preview as the trainer types; the browser stores whatever session cookie
    each answer carries, so a preview sent before Save and answered after it must not set one."""
    app, _ = trainer_app
    tina = Browser(app).login("tina")
    tina.get("/login")  # the form's token is in the session from here on, as on the editing page
    values = app.extensions["coach"]["editor"].fields("objection_no_time", "en")
    values["tip"] = "Block ten minutes after your last visit."
    as_the_page_had_it = tina.client.get_cookie("coach_dashboard", domain="coach.example").value

    saved = tina.post("/knowledge/objection_no_time/en", values)
    assert saved.status_code == 302
    late = Browser(app)
    late.client.set_cookie("coach_dashboard", as_the_page_had_it, domain="coach.example")
    preview = late.post("/knowledge/objection_no_time/en/preview", values)
    assert preview.get_json()["ok"]
    for header in preview.headers.getlist("Set-Cookie"):
        tina.client.set_cookie("coach_dashboard", header.split(";")[0].split("=", 1)[1], domain="coach.example")

    assert "Saved." in tina.get(saved.headers["Location"]).text
