"""Editing a how-to entry: one language's questions and steps written back with the rest of the
file as it was, refused (file untouched) when the validator says no, kept in the knowledge history
with a revert that restores the file byte for byte; on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil

import pytest

from bot.adoption_log.store import LogStore
from bot.knowledge import base as knowledge
from bot.knowledge.editor import ORIGINAL
from bot.knowledge.howto_editor import MAX_TEXT_CHARS, HowToEditor, HowToFields, submitted
from tests.conftest import ROOT

ENTRY = "log_a_call"
NEW_QUESTION = "dove segno una chiamata persa?"


@pytest.fixture
def editor(database_url, tmp_path):
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    store = LogStore(database_url)
    store.migrate()
    yield HowToEditor(tmp_path / "knowledge", store.engine)
    store.close()


def _edited(editor, language="it", **changes):
    current = editor.fields(ENTRY, language)
    values = {
        "title": current.title,
        "questions": current.questions,
        "steps": current.steps,
        "example": current.example,
    }
    return HowToFields(**{**values, **changes})


def test_an_edit_changes_one_language_and_keeps_the_rest_of_the_file(editor):
    path = editor.file(ENTRY)
    before = path.read_text(encoding="utf-8")
    current = editor.fields(ENTRY, "it")
    values = _edited(editor, questions=[*current.questions, NEW_QUESTION], steps=current.steps[:2], example=False)
    assert editor.edit(ENTRY, "it", values, "tina") == []
    after = path.read_text(encoding="utf-8")
    assert after.splitlines()[0] == before.splitlines()[0], "the file's comment stays"
    assert after.split("\nes:")[1] == before.split("\nes:")[1], "the other languages stay byte for byte"
    assert f'    - "{NEW_QUESTION}"\n' in after and "example: false" in after
    howto = knowledge.load(editor.root).howtos[ENTRY]
    assert howto.texts["it"].questions[-1] == NEW_QUESTION
    assert list(howto.texts["it"].steps) == current.steps[:2]
    assert howto.example is False


def test_an_invalid_edit_names_the_field_and_writes_nothing(editor):
    path = editor.file(ENTRY)
    before = path.read_text(encoding="utf-8")
    current = editor.fields(ENTRY, "es")
    problems = editor.edit(ENTRY, "es", _edited(editor, "es", questions=current.questions[:2]), "tina")
    assert problems == ["knowledge/howto/log_a_call.yml: es.questions: needs at least 3 example questions, has 2"]
    long_step = "x" * (MAX_TEXT_CHARS + 1)
    problems = editor.edit(ENTRY, "es", _edited(editor, "es", steps=[*current.steps, long_step]), "tina")
    assert problems == [f"knowledge/howto/log_a_call.yml: es.steps[{len(current.steps)}]: 401 characters, at most 400"]
    twice = editor.edit(ENTRY, "en", _edited(editor, "en", steps=["Open the record.", "Open the record."]), "tina")
    assert len(twice) == 1 and "en.steps" in twice[0]
    assert path.read_text(encoding="utf-8") == before
    assert editor.history(ENTRY) == []


def test_history_and_revert_restore_the_file_byte_for_byte(editor):
    path = editor.file(ENTRY)
    original = path.read_bytes()
    current = editor.fields(ENTRY, "en")
    assert editor.edit(ENTRY, "en", _edited(editor, "en", title="Log a phone call"), "tina") == []
    assert editor.edit(ENTRY, "en", _edited(editor, "en", steps=current.steps[:3]), "rita") == []
    latest, first_edit, before = editor.history(ENTRY)
    assert (before.author, before.note) == ("files", ORIGINAL)
    assert (first_edit.author, first_edit.note, latest.author) == ("tina", "edited (en)", "rita")
    assert editor.revert(ENTRY, before.id, "tina") == []
    assert path.read_bytes() == original
    assert editor.history(ENTRY)[0].note == f"reverted to version {before.id}"
    assert editor.revert(ENTRY, 10_000, "tina") == [
        "version: there is no version 10000 of knowledge/howto/log_a_call.yml"
    ]


@pytest.mark.parametrize("howto_id", ["no_such_entry", "../answers/objection_no_time", "Log_A_Call"])
def test_only_an_existing_entry_can_be_edited(editor, howto_id):
    with pytest.raises(KeyError):
        editor.file(howto_id)


def test_the_form_gives_one_text_per_line_with_whitespace_collapsed():
    form = {"title": "  Log  a call ", "questions": "one?\r\n\r\n  two  words?\n", "steps": "a\nb"}
    assert submitted(form, example=True) == HowToFields("Log a call", ["one?", "two words?"], ["a", "b"], True)


# --- a new entry ---------------------------------------------------------------------------------

NEW_ENTRY = "log_a_meeting"
NEW_TEXTS = {
    "it": HowToFields(
        "Registrare una riunione",
        ["come registro una riunione?", "dove segno un incontro col cliente?", "come salvo una visita fatta?"],
        ["Apri la scheda del cliente.", "Aggiungi un'attività di tipo riunione, con data e note."],
        False,
    ),
    "es": HowToFields(
        "Registrar una reunión",
        ["¿cómo registro una reunión?", "¿dónde apunto una visita al cliente?", "¿cómo guardo un encuentro?"],
        ["Abre la ficha del cliente.", "Añade una actividad de tipo reunión, con fecha y notas."],
        False,
    ),
    "en": HowToFields(
        "Log a meeting",
        ["how do I log a meeting?", "where do I record a customer visit?", "how do I save a meeting I had?"],
        ["Open the customer's record.", "Add an activity of type meeting, with its date and notes."],
        False,
    ),
}


def test_a_new_entry_is_written_whole_loaded_and_kept_in_the_history(editor):
    assert editor.create(NEW_ENTRY, NEW_TEXTS, "tina") == []
    howto = knowledge.load(editor.root).howtos[NEW_ENTRY]
    assert howto.example is False, "written by a trainer for this CRM, not a generic starter"
    for language, values in NEW_TEXTS.items():
        assert editor.fields(NEW_ENTRY, language) == values
        assert list(howto.texts[language].questions) == values.questions
    assert '    - "¿cómo registro una reunión?"\n' in editor.file(NEW_ENTRY).read_text(encoding="utf-8")
    (created,) = editor.history(NEW_ENTRY)
    assert (created.author, created.note) == ("tina", "created"), "no 'file before': there was none"
    # From now on it is edited (and reverted) like any entry.
    edited = NEW_TEXTS["en"].questions + ["how do I add a meeting?"]
    assert (
        editor.edit(NEW_ENTRY, "en", HowToFields("Log a meeting", edited, NEW_TEXTS["en"].steps, False), "rita") == []
    )
    assert editor.revert(NEW_ENTRY, created.id, "tina") == []
    assert editor.fields(NEW_ENTRY, "en") == NEW_TEXTS["en"]


@pytest.mark.parametrize(
    ("howto_id", "problem"),
    [
        ("", "id: is missing (lowercase letters, digits and _, e.g. log_a_meeting)"),
        ("../answers/x", "id: '../answers/x' must be lowercase letters, digits and _ (at most 80)"),
        ("Log_Meeting", "id: 'Log_Meeting' must be lowercase letters, digits and _ (at most 80)"),
        (ENTRY, f"id: '{ENTRY}' is already a how-to entry"),
    ],
)
def test_a_new_entry_needs_a_free_id_that_names_no_path(editor, howto_id, problem):
    before = sorted(path.name for path in (editor.root / "howto").iterdir())
    assert editor.create(howto_id, NEW_TEXTS, "tina") == [problem]
    assert sorted(path.name for path in (editor.root / "howto").iterdir()) == before


def test_a_new_entry_is_validated_like_an_edit_and_names_each_field(editor):
    texts = {
        **NEW_TEXTS,
        "it": HowToFields("Registrare una riunione", NEW_TEXTS["it"].questions[:2], NEW_TEXTS["it"].steps, False),
        "es": HowToFields("", NEW_TEXTS["es"].questions, NEW_TEXTS["es"].steps[:1], False),
    }
    problems = editor.create(NEW_ENTRY, texts, "tina")
    where = f"knowledge/howto/{NEW_ENTRY}.yml"
    assert f"{where}: it.questions: needs at least 3 example questions, has 2" in problems
    assert f"{where}: es.steps: needs at least 2 steps, has 1" in problems
    assert any(problem.startswith(f"{where}: es.title: ") for problem in problems), problems
    too_long = {**NEW_TEXTS, "en": HowToFields("Log", NEW_TEXTS["en"].questions, ["x" * 401, "Save."], False)}
    assert editor.create(NEW_ENTRY, too_long, "tina") == [f"{where}: en.steps[0]: 401 characters, at most 400"]
    assert not (editor.root / "howto" / f"{NEW_ENTRY}.yml").exists()
    assert editor._answers.file_history(f"howto/{NEW_ENTRY}.yml") == []


def test_the_new_entry_form_gives_each_language_by_its_suffix():
    form = {"title_es": " Registrar  ", "questions_es": "a?\nb?", "steps_es": "x\n\ny", "title": "not this one"}
    assert submitted(form, example=False, suffix="_es") == HowToFields("Registrar", ["a?", "b?"], ["x", "y"], False)
