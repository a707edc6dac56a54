"""`coach kb check`: complete today; names every gap of a half-added objection."""
import shutil

from bot import cli
from bot.knowledge.check import check
from tests.conftest import ROOT


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
    (tmp_path / "domain.yml").write_text(domain.replace("  - set_language\n", "  - set_language\n  - objection_too_many_tools\n"), encoding="utf-8")
    with (tmp_path / "data" / "nlu" / "it.yml").open("a", encoding="utf-8") as nlu:
        nlu.write("\n- intent: objection_too_many_tools\n  metadata:\n    language: it\n  examples: |\n    - uso già troppi programmi\n")
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
