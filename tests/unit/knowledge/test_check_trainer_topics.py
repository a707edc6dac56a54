"""`coach kb check` holds a trainer's topic (knowledge/topics/, origin: trainer) to the bar of its
New topic page (10 phrasings per language, 8 of them trained) and built-in intents to 20, and its
report says which bar applies to each intent."""

from __future__ import annotations

import shutil

import pytest

from bot.adoption_log.store import LogStore
from bot.knowledge import check as kb_check
from bot.learning import topics
from bot.settings import LANGUAGES
from tests.conftest import ROOT
from tests.unit.learning.test_topics import EXAMPLES, NAME, spec


@pytest.fixture(scope="module")
def with_topic(tmp_path_factory):
    """A copy of the project with the test topic added at the minimum: 10 phrasings per language."""
    scratch = tmp_path_factory.mktemp("trainer_topic")
    project = topics.copy_project(ROOT, ROOT / "knowledge", ROOT / "data", scratch / "project")
    store = LogStore(f"sqlite:///{scratch / 'coach.db'}")
    store.migrate()
    minimal = {language: texts[: topics.MIN_EXAMPLES] for language, texts in EXAMPLES.items()}
    change = topics.Topics(project, store.engine).add(spec(examples=minimal), "tina")
    store.close()
    assert change.ok, change.problems
    return project


@pytest.fixture
def project(with_topic, tmp_path):
    """A test's own copy of it, to change freely."""
    shutil.copytree(with_topic.root, tmp_path / "project")
    return topics.ProjectFiles(tmp_path / "project" / "knowledge", tmp_path / "project" / "data")


def _check(project):
    return kb_check.check(project.root, project.knowledge_dir, project.data_dir)


def _rows(report, intent):
    return [row for row in report.rows if row.intent == intent]


def test_a_topic_with_the_minimum_phrasings_passes_with_its_own_bar(project):
    report = _check(project)
    assert report.gaps == []
    assert [(row.training, row.held_out, row.needed) for row in _rows(report, NAME)] == [(8, 2, 8)] * 3
    assert {row.needed for row in _rows(report, "objection_no_time")} == {20}


def test_one_trained_example_less_is_a_gap_naming_the_trainers_bar_and_file(project):
    training = project.training("it")
    text = training.read_text(encoding="utf-8")
    trained, _ = topics.held_out_part(EXAMPLES["it"][: topics.MIN_EXAMPLES])
    training.write_text(text.replace(f"    - {trained[-1]}\n", ""), encoding="utf-8")
    assert _check(project).gaps == [
        f"{NAME} [it]: 7 training examples, needs 8 as a trainer's topic (data/nlu/topics_it.yml)"
    ]


def test_without_its_trainer_record_the_intent_is_held_to_the_built_in_bar(project):
    # Only a topic a trainer made (its record says origin: trainer) gets the lower bar.
    record = project.record(NAME)
    record.write_text(record.read_text(encoding="utf-8").replace("origin: trainer", "origin: files"), encoding="utf-8")
    gaps = _check(project).gaps
    assert gaps == [
        f"{NAME} [{language}]: 8 training examples, needs 20 (data/nlu/{language}.yml)" for language in LANGUAGES
    ]


def test_the_report_says_which_bar_applies(project):
    out = kb_check.format_report(_check(project))
    header, *lines = out.splitlines()
    assert "needed" in header.split()
    topic_line = next(line for line in lines if line.startswith(f"{NAME} ") and " it " in line)
    assert topic_line.split()[2:4] == ["8", "8"]  # trained, needed
    assert "8 for a trainer's topic (knowledge/topics/, origin: trainer; 10 phrasings with 2 held out)" in out
    assert "20 for an answered intent" in out
