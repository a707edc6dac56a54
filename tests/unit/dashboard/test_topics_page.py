"""The trainers' Topics pages: the form names each problem by field, shows the change as a diff,
applies it, removes it; leads are refused, a post without its CSRF token changes nothing; Retrain
runs one training at a time in the background and shows how it ended."""

from __future__ import annotations

import html
import re
import shutil
import sys

import pytest

from bot.dashboard import topics as topics_page
from bot.knowledge import base as knowledge
from bot.learning.examples import domain_intents
from bot.settings import LANGUAGES
from tests.conftest import ROOT
from tests.unit.dashboard.conftest import Browser, own_app
from tests.unit.learning.test_topics import ANSWERS, EXAMPLES, NAME, SECTION, SPEC


def form(**changes):
    """The New topic form filled with the test topic (one example, one short answer per line)."""
    data = {
        "name": NAME,
        "description": SPEC["description"],
        "not_this": SPEC["not_this"],
        "source_document": SPEC["sources"][0]["document"],
        "source_section": SECTION,
        "four_ps": "processes",
        **{f"examples_{lang}": "\n".join(EXAMPLES[lang]) for lang in LANGUAGES},
    }
    for lang in LANGUAGES:
        for key, value in ANSWERS[lang].items():
            data[f"{lang}_{key}"] = "\n".join(value) if key == "short" else value
    data.update(changes)
    return data


@pytest.fixture
def app(tmp_path):
    for name in ("domain.yml", "config.yml"):  # the project files beside the copied data folder
        shutil.copyfile(ROOT / name, tmp_path / name)
    app = own_app(tmp_path)
    yield app
    app.extensions["coach"]["store"].close()


def test_a_lead_cannot_open_or_post_the_topic_pages(app):
    lead = Browser(app).login("luca")
    assert lead.get("/topics").status_code == 403
    assert lead.get("/topics/new").status_code == 403
    assert lead.post("/topics/apply", form()).status_code == 403
    assert lead.post("/topics/retrain", {}).status_code == 403
    assert NAME not in domain_intents(app.extensions["coach"]["data_dir"].parent / "domain.yml")


def test_problems_are_named_by_field_and_nothing_is_written(app, tmp_path):
    tina = Browser(app).login("tina")
    response = tina.post("/topics/new", form(examples_it="\n".join(EXAMPLES["it"][:7]), name="objection_no_time"))
    assert response.status_code == 422
    assert "examples.it: 7 examples, at least 10 needed" in response.text
    assert "name: &#39;objection_no_time&#39; is already" in response.text
    assert EXAMPLES["es"][0] in response.text, "the form keeps what the trainer typed"
    assert not (tmp_path / "knowledge" / "topics").exists()


def test_form_diff_apply_list_remove(app, tmp_path):
    tina = Browser(app).login("tina")
    domain = tmp_path / "domain.yml"
    before = domain.read_bytes()
    diff = tina.post("/topics/new", form())
    assert diff.status_code == 200, diff.text[:2000]
    assert f"+  - {NAME}" in diff.text and "knowledge/answers/objection_too_many_tools.yml" in diff.text
    assert "never trained on" in diff.text and domain.read_bytes() == before, "nothing written before Apply"

    applied = tina.post("/topics/apply", form())
    assert applied.status_code == 302
    assert NAME in domain_intents(domain)
    assert (tmp_path / "knowledge" / "answers" / f"{NAME}.yml").exists()
    listed = tina.get("/topics").text
    assert NAME in listed and "objection_prefer_old_tools" in listed  # what it is not, for the next trainer
    assert "tina" in listed

    assert tina.post(f"/topics/{NAME}/remove", {}).status_code == 302
    assert domain.read_bytes() == before
    assert tina.post("/topics/objection_no_time/remove", {}).status_code == 302
    assert "built in" in tina.get("/topics").text
    assert "objection_no_time" in domain_intents(domain)


def test_a_post_without_its_csrf_token_changes_nothing(app, tmp_path):
    tina = Browser(app).login("tina")
    response = tina.post("/topics/apply", form(), with_token=False)
    assert response.status_code == 400
    assert NAME not in domain_intents(tmp_path / "domain.yml")


def test_not_understood_messages_prefill_the_examples(app):
    tina = Browser(app).login("tina")
    page = tina.get("/topics/new?language=es&example=tengo+demasiadas+apps&example=otra+app+m%C3%A1s")
    assert page.status_code == 200
    assert '<textarea name="examples_es" rows="8">tengo demasiadas apps\notra app más</textarea>' in page.text


def _wait_for_outcome(app, tina, timeout=30):
    assert app.extensions[topics_page.TRAINING_EXTENSION].wait(timeout)
    return tina.get("/topics/training.json").get_json()


@pytest.mark.parametrize(
    "exit_code, state, says",
    [(0, "promoted", "the coach now uses it"), (1, "refused", "the coach keeps the current one"), (2, "failed", "")],
)
def test_retrain_runs_in_the_background_and_shows_how_it_ended(app, exit_code, state, says):
    # `coach train`'s exit codes (0 promoted, 1 worse: refused, 2 failed), from a stand-in process.
    script = f"import sys, time; print('new model: intent macro-F1 it 0.9'); time.sleep(1); sys.exit({exit_code})"
    app.extensions[topics_page.TRAINING_EXTENSION] = topics_page.Retraining([sys.executable, "-c", script])
    tina = Browser(app).login("tina")
    assert tina.post("/topics/retrain", {}).status_code == 302
    running = tina.get("/topics")
    assert 'http-equiv="refresh"' in running.text
    assert tina.post("/topics/retrain", {}).status_code == 302  # one at a time
    assert "already running" in tina.get("/topics").text
    status = _wait_for_outcome(app, tina)
    assert status["state"] == state and status["started_by"] == "tina"
    assert status["output"] == ["new model: intent macro-F1 it 0.9"]
    assert says in tina.get("/topics").text


def test_the_training_command_is_coach_train_on_the_dashboards_files(tmp_path):
    from bot.learning.topics import ProjectFiles

    command = topics_page.training_command(
        ProjectFiles(tmp_path / "knowledge", tmp_path / "data"), {"RASA_PORT": "6001"}
    )
    assert command[1:4] == ["-m", "bot.cli", "train"]
    assert command[command.index("--domain") + 1] == str(tmp_path / "domain.yml")
    assert command[command.index("--tests") + 1] == str(tmp_path / "data" / "tests")
    assert command[-2:] == ["--reload-url", "http://127.0.0.1:6001"]


# --- how-to entries ---------------------------------------------------------------------------------

HOWTO = "log_a_call"


def howto_form(app, language, **changes):
    from bot.knowledge.howto_editor import HowToEditor

    current = HowToEditor(app.extensions["coach"]["editor"].root, app.extensions["coach"]["store"].engine).fields(
        HOWTO, language
    )
    data = {"title": current.title, "questions": "\n".join(current.questions), "steps": "\n".join(current.steps)}
    return {**data, **({"example": "yes"} if current.example else {}), **changes}


def test_howto_entries_are_listed_and_edited_per_language_with_history_and_revert(app, tmp_path):
    tina = Browser(app).login("tina")
    path = tmp_path / "knowledge" / "howto" / f"{HOWTO}.yml"
    original = path.read_bytes()
    listed = tina.get("/topics").text
    assert f'href="/topics/howto/{HOWTO}/es"' in listed and "Registrar una llamada" in listed

    page = tina.get(f"/topics/howto/{HOWTO}/es")
    assert page.status_code == 200 and "¿cómo registro una llamada en el crm?" in page.text
    form = howto_form(app, "es")
    edited = tina.post(
        f"/topics/howto/{HOWTO}/es", {**form, "questions": form["questions"] + "\n¿dónde apunto una llamada?"}
    )
    assert edited.status_code == 302
    assert '"¿dónde apunto una llamada?"' in path.read_text(encoding="utf-8")
    history = tina.get(f"/topics/howto/{HOWTO}/es").text
    assert "edited (es)" in history and "tina" in history
    first = re.findall(rf'/topics/howto/{HOWTO}/es/revert/(\d+)"', history)[-1]  # the file before the first edit
    assert tina.post(f"/topics/howto/{HOWTO}/es/revert/{first}", {}).status_code == 302
    assert path.read_bytes() == original


def test_a_bad_howto_edit_names_the_field_and_keeps_what_was_typed(app, tmp_path):
    tina = Browser(app).login("tina")
    path = tmp_path / "knowledge" / "howto" / f"{HOWTO}.yml"
    before = path.read_bytes()
    response = tina.post(f"/topics/howto/{HOWTO}/it", howto_form(app, "it", questions="una?\ndue?", title="Chiamate"))
    assert response.status_code == 422
    assert "it.questions: needs at least 3 example questions, has 2" in response.text
    assert 'value="Chiamate"' in response.text and "una?\ndue?" in response.text
    assert path.read_bytes() == before


def test_howto_pages_refuse_leads_unknown_entries_and_posts_without_a_token(app, tmp_path):
    path = tmp_path / "knowledge" / "howto" / f"{HOWTO}.yml"
    before = path.read_bytes()
    lead = Browser(app).login("luca")
    assert lead.get(f"/topics/howto/{HOWTO}/it").status_code == 403
    assert lead.post(f"/topics/howto/{HOWTO}/it", howto_form(app, "it", title="Hacked")).status_code == 403
    tina = Browser(app).login("tina")
    assert tina.get("/topics/howto/no_such_entry/it").status_code == 404
    assert tina.get(f"/topics/howto/{HOWTO}/fr").status_code == 404
    assert tina.post(f"/topics/howto/{HOWTO}/it", howto_form(app, "it", title="X"), with_token=False).status_code == 400
    assert path.read_bytes() == before


def new_howto_form(**changes):
    from tests.unit.knowledge.test_howto_editor import NEW_ENTRY, NEW_TEXTS

    data = {"id": NEW_ENTRY}
    for language, values in NEW_TEXTS.items():
        data.update(
            {
                f"title_{language}": values.title,
                f"questions_{language}": "\n".join(values.questions),
                f"steps_{language}": "\n".join(values.steps),
            }
        )
    return {**data, **changes}


def test_a_trainer_adds_a_howto_entry_from_the_page_and_the_coach_knows_it(app, tmp_path):
    tina = Browser(app).login("tina")
    assert 'href="/topics/howto/new"' in tina.get("/topics").text
    assert tina.get("/topics/howto/new").status_code == 200
    added = tina.post("/topics/howto/new", new_howto_form())
    assert added.status_code == 302 and added.headers["Location"] == "/topics/howto/log_a_meeting/it"
    page = tina.get("/topics/howto/log_a_meeting/it").text
    assert "log_a_meeting added" in page and "Registrare una riunione" in page
    assert "created" in page and "tina" in page, "its first version, in the history"
    # The coach's knowledge base reads it as it is (the live one reloads on the file's change).
    assert knowledge.load(tmp_path / "knowledge").howtos["log_a_meeting"].texts["es"].title == "Registrar una reunión"


def test_a_bad_new_howto_entry_names_each_field_keeps_what_was_typed_and_writes_nothing(app, tmp_path):
    tina = Browser(app).login("tina")
    response = tina.post("/topics/howto/new", new_howto_form(questions_es="¿una?\n¿dos?", steps_en=""))
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "knowledge/howto/log_a_meeting.yml: es.questions: needs at least 3 example questions, has 2" in text
    assert "knowledge/howto/log_a_meeting.yml: en.steps: needs at least 2 steps, has 0" in text
    assert 'value="Registrar una reunión"' in text and "¿una?\n¿dos?" in text
    taken = tina.post("/topics/howto/new", new_howto_form(id=HOWTO))
    assert taken.status_code == 422 and f"id: &#39;{HOWTO}&#39; is already a how-to entry" in taken.text
    assert tina.post("/topics/howto/new", new_howto_form(), with_token=False).status_code == 400
    assert Browser(app).login("luca").post("/topics/howto/new", new_howto_form()).status_code == 403
    assert not (tmp_path / "knowledge" / "howto" / "log_a_meeting.yml").exists()


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("it", ("esempi, ne servono almeno 10", "servono almeno 3 domande di esempio, ce ne sono 2")),
        ("es", ("ejemplos, se necesitan al menos 10", "necesita al menos 3 preguntas de ejemplo, tiene 2")),
    ],
)
def test_validation_messages_are_in_the_trainers_language_with_the_field_named_as_in_the_file(app, language, says):
    tina = Browser(app).login("tina")
    tina.options["headers"] = {**tina.options["headers"], "Accept-Language": language}
    topic = html.unescape(tina.post("/topics/new", form(examples_it="\n".join(EXAMPLES["it"][:7]))).text)
    assert f"examples.it: 7 {says[0]}" in topic and "at least 10 needed" not in topic
    howto = html.unescape(tina.post("/topics/howto/new", new_howto_form(questions_it="una?\ndue?")).text)
    assert f"knowledge/howto/log_a_meeting.yml: it.questions: {says[1]}" in howto
    answer = tina.post(f"/knowledge/objection_no_time/{language}", {"topic": "x", "short": "", "more": "", "tip": ""})
    assert answer.status_code == 422 and "is missing" not in answer.text and "must be" not in answer.text


def test_a_problem_keeps_its_file_and_field_and_an_unknown_message_stays_english(app):
    from bot.dashboard.problems import translated

    with app.test_request_context(headers={"Accept-Language": "es"}):
        # The longest 'file: field: ' goes before the message, even when a value in it has colons.
        assert (
            translated("knowledge/answers/x.yml: es.more: has 90 words, at most 80: Nota: uno, dos")
            == "knowledge/answers/x.yml: es.more: tiene 90 palabras, como máximo 80: Nota: uno, dos"
        )
        assert translated("examples.es[3]: 'hola' is given twice") == "examples.es[3]: 'hola' aparece dos veces"
        assert (
            translated("knowledge/x.yml: file: a message no table knows")
            == "knowledge/x.yml: file: a message no table knows"
        )
