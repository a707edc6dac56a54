"""Edit, validate, save, revert: the files stay the source of truth, every version is kept."""

import shutil

import pytest

from bot.adoption_log.store import LogStore
from bot.knowledge.editor import ORIGINAL, KnowledgeEditor
from tests.conftest import ROOT


@pytest.fixture
def editor(database_url, tmp_path):
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    store = LogStore(database_url)
    store.migrate()
    yield KnowledgeEditor(tmp_path / "knowledge", store.engine)
    store.close()


def test_an_edit_is_validated_written_to_the_file_and_kept_in_the_history(editor):
    path = editor.answer_file("objection_no_time")
    original = path.read_text(encoding="utf-8")
    values = editor.fields("objection_no_time", "es")
    values["short"][0] = "Una respuesta nueva, escrita por la formadora."
    assert editor.save("objection_no_time", editor.with_fields("objection_no_time", "es", values), "tina") == []
    saved = path.read_text(encoding="utf-8")
    assert "Una respuesta nueva, escrita por la formadora." in saved
    assert "# rules of the 10-rules article" in saved, "comments survive an edit"
    assert [line for line in saved.splitlines() if line not in original.splitlines()] == [
        "    - Una respuesta nueva, escrita por la formadora."
    ]
    [edit, first] = editor.history("objection_no_time")
    assert (edit.author, first.note, first.content) == ("tina", ORIGINAL, original)


def test_an_invalid_edit_is_refused_naming_file_and_field_and_changes_nothing(editor):
    path = editor.answer_file("objection_no_time")
    before = path.read_text(encoding="utf-8")
    values = editor.fields("objection_no_time", "it")
    values["short"], values["tip"] = ["una sola risposta"], ""
    problems = editor.save("objection_no_time", editor.with_fields("objection_no_time", "it", values), "tina")
    assert "knowledge/answers/objection_no_time.yml: it.short: needs at least 2 alternative texts, has 1" in problems
    assert any("it.tip" in p for p in problems)
    assert path.read_text(encoding="utf-8") == before and editor.history("objection_no_time") == []


def test_revert_brings_back_a_version_and_records_who_did_it(editor):
    path = editor.answer_file("objection_feel_stupid")
    original = path.read_text(encoding="utf-8")
    values = editor.fields("objection_feel_stupid", "en")
    values["tip"] = "A new tip."
    editor.save("objection_feel_stupid", editor.with_fields("objection_feel_stupid", "en", values), "tina")
    first = editor.history("objection_feel_stupid")[-1]
    assert editor.revert("objection_feel_stupid", first.id, "anna") == []
    assert path.read_text(encoding="utf-8") == original
    latest = editor.history("objection_feel_stupid")[0]
    assert (latest.author, latest.note) == ("anna", f"reverted to version {first.id}")
    assert editor.revert("objection_feel_stupid", 999999, "anna") == [
        "there is no version 999999 of objection_feel_stupid"
    ]


def test_only_answer_files_can_be_edited(editor):
    with pytest.raises(KeyError):
        editor.answer_file("../sources")
    with pytest.raises(KeyError):
        editor.answer_file("objection_that_does_not_exist")


def test_an_edit_that_quotes_what_the_document_does_not_say_is_refused(editor):
    fields = {**editor.fields("objection_no_time", "en"), "more": "The podcast says «CRM saves two hours a day»."}
    text = editor.with_fields("objection_no_time", "en", fields)
    problems = editor.save("objection_no_time", text, author="tina")
    assert problems and all("objection_no_time.yml" in p for p in problems)
    assert any("CRM saves two hours a day" in p for p in problems)
