"""`coach kb check`: complete today; names every gap of a half-added objection; runs the
content checks; reads training data, domain and rules with Rasa's loaders."""

import shutil
from pathlib import Path

import yaml

from bot import cli
from bot.knowledge.check import check, format_report
from tests.conftest import ROOT
from tests.unit.knowledge.fixture_kb import faithful_files, write_kb

INTENTS = ("objection_no_time", "ask_failure_causes")


def test_the_project_has_no_gaps_and_reports_every_intent_per_language(capsys):
    assert cli.main(["kb", "check"]) == 0
    out = capsys.readouterr().out
    assert "0 gaps: complete" in out
    assert out.count("objection_no_time ") == 3


def test_a_half_added_objection_is_reported_with_what_is_missing(tmp_path):
    for name in ("knowledge", "data"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "domain.yml", tmp_path / "domain.yml")
    domain = (tmp_path / "domain.yml").read_text(encoding="utf-8")
    (tmp_path / "domain.yml").write_text(
        domain.replace("  - set_language\n", "  - set_language\n  - objection_too_many_tools\n"), encoding="utf-8"
    )
    with (tmp_path / "data" / "nlu" / "it.yml").open("a", encoding="utf-8") as nlu:
        nlu.write(
            "\n- intent: objection_too_many_tools\n  metadata:\n    language: it\n  examples: |\n    - uso già troppi programmi\n"
        )
    gaps = check(tmp_path, tmp_path / "knowledge", tmp_path / "data").gaps
    assert "objection_too_many_tools: no rule in data/rules.yml answers it with action_coach_reply" in gaps
    assert "objection_too_many_tools [it]: 1 training examples, needs 20 (data/nlu/it.yml)" in gaps
    assert "objection_too_many_tools [es]: 0 training examples, needs 20 (data/nlu/es.yml)" in gaps
    assert "objection_too_many_tools [en]: no held-out example (data/tests/en.yml)" in gaps
    assert "objection_too_many_tools [es]: no answer (knowledge/answers/objection_too_many_tools.yml, es:)" in gaps


def test_a_broken_knowledge_base_is_a_gap(tmp_path):
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    (tmp_path / "knowledge" / "answers" / "objection_no_time.yml").write_text("it: [", encoding="utf-8")
    gaps = check(ROOT, tmp_path / "knowledge", ROOT / "data").gaps
    assert any(g.startswith("knowledge base: ") and "objection_no_time.yml" in g for g in gaps)


def _fixture_project(tmp_path: Path, files=None) -> Path:
    """A tiny project: the faithful fixture knowledge base, a domain, rules and enough examples."""
    write_kb(tmp_path, files or faithful_files())
    (tmp_path / "domain.yml").write_text(yaml.safe_dump({"version": "3.1", "intents": list(INTENTS)}), encoding="utf-8")
    rules = [{"rule": f"answer {i}", "steps": [{"intent": i}, {"action": "action_coach_reply"}]} for i in INTENTS]
    _write(tmp_path / "data" / "rules.yml", {"version": "3.1", "rules": rules})
    for language in ("it", "es", "en"):
        blocks = [
            {
                "intent": i,
                "metadata": {"language": language},
                "examples": "".join(f"- {i} example {n} [Salesforce](crm)\n" for n in range(20)),
            }
            for i in INTENTS
        ]
        _write(tmp_path / "data" / "nlu" / f"{language}.yml", {"version": "3.1", "nlu": blocks})
        held_out = [{"intent": i, "examples": f"- held out {i}\n"} for i in INTENTS]
        _write(tmp_path / "data" / "tests" / f"{language}.yml", {"version": "3.1", "nlu": held_out})
    return tmp_path


def _write(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_a_faithful_fixture_project_is_complete(tmp_path):
    project = _fixture_project(tmp_path)
    report = check(project, project / "knowledge", project / "data")
    assert report.gaps == []
    assert [(r.intent, r.language, r.training, r.held_out, r.phrasings) for r in report.rows][:2] == [
        ("ask_failure_causes", "it", 20, 1, 2),
        ("ask_failure_causes", "es", 20, 1, 2),
    ]
    assert "how-tos (ask_howto): 1, of which 1 starter examples to adapt" in format_report(report)
    assert "0 gaps: complete" in format_report(report)


def test_unfaithful_content_is_a_gap_naming_file_field_and_passage(tmp_path):
    files = faithful_files()
    files["answers/objection_no_time.yml"]["it"]["more"] += " «Il CRM è sempre facile»."
    project = _fixture_project(tmp_path, files)
    assert check(project, project / "knowledge", project / "data").gaps == [
        "content: knowledge/answers/objection_no_time.yml: it.more: «Il CRM è sempre facile» is not verbatim in the "
        "documents it cites (001_podcast.txt, 002_cuatro_p.txt)"
    ]


def test_learned_examples_count_for_their_language(tmp_path):
    project = _fixture_project(tmp_path)
    (project / "data" / "tests" / "en.yml").write_text("version: '3.1'\nnlu: []\n", encoding="utf-8")
    learned = [{"intent": "objection_no_time", "examples": "- learned one\n- learned two\n"}]
    _write(project / "data" / "nlu" / "learned_es.yml", {"version": "3.1", "nlu": learned})
    report = check(project, project / "knowledge", project / "data")
    assert next(r.training for r in report.rows if (r.intent, r.language) == ("objection_no_time", "es")) == 22
    assert "objection_no_time [en]: no held-out example (data/tests/en.yml)" in report.gaps
