"""The content checks of `coach kb check`, on a small faithful knowledge base with one problem planted at a time."""

from __future__ import annotations

import re
import sre_constants
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge import base as knowledge
from bot.knowledge import fidelity
from tests.regexes import regex_repeats
from tests.unit.knowledge.fixture_kb import CUATRO_P, PODCAST, faithful_files, write_kb

NO_TIME = "answers/objection_no_time.yml"
CAUSES = "answers/ask_failure_causes.yml"
NO_TIME_FILE = "knowledge/answers/objection_no_time.yml"


@pytest.fixture
def files() -> dict[str, Any]:
    return faithful_files()


def _problems(tmp_path: Path, files: dict[str, Any]) -> list[str]:
    root = write_kb(tmp_path, files)
    return fidelity.problems(knowledge.load(root), root)


def test_a_faithful_knowledge_base_has_no_problem(tmp_path, files):
    assert _problems(tmp_path, files) == []


def test_a_quote_that_is_not_verbatim_is_named_with_its_passage(tmp_path, files):
    files[NO_TIME]["it"]["more"] += " Come dice il podcast: «il CRM si compra per stare coi clienti»."
    assert _problems(tmp_path, files) == [
        f"{NO_TIME_FILE}: it.more: «il CRM si compra per stare coi clienti» is not verbatim in the documents "
        f"it cites ({PODCAST}, {CUATRO_P})"
    ]


def test_a_verbatim_quote_from_a_document_the_entry_does_not_cite_is_refused(tmp_path, files):
    files[CAUSES]["en"]["short"][0] = "They say: «Abbiamo comprato il CRM»."
    assert _problems(tmp_path, files) == [
        f"knowledge/answers/ask_failure_causes.yml: en.short[0]: «Abbiamo comprato il CRM» is not verbatim in the "
        f"documents it cites ({CUATRO_P})"
    ]


def test_quotes_match_across_line_breaks_apostrophes_and_double_quotes(tmp_path, files):
    files[NO_TIME]["it"]["tip"] = 'Ricorda: «Il CRM non è "un evento" ma un processo: l\'adozione».'
    files[NO_TIME]["it"]["short"][0] = "«Ma no!   Abbiamo comprato il CRM\tproprio»"
    assert _problems(tmp_path, files) == []


def test_an_unpaired_guillemet_is_named(tmp_path, files):
    files[NO_TIME]["en"]["tip"] = "Log each visit «right after it."
    assert _problems(tmp_path, files) == [
        f"{NO_TIME_FILE}: en.tip: has a « or » without its pair: Log each visit «right after it."
    ]


def test_a_missing_language_is_named_by_the_loader(tmp_path, files):
    del files[NO_TIME]["es"]
    with pytest.raises(knowledge.KnowledgeError) as raised:
        knowledge.load(write_kb(tmp_path, files))
    assert raised.value.problems == [f"{NO_TIME_FILE}: es: is missing"]


def test_a_short_answer_over_45_words_is_named(tmp_path, files):
    files[NO_TIME]["en"]["short"][1] = " ".join(["word"] * 46)
    (problem,) = _problems(tmp_path, files)
    assert problem.startswith(f"{NO_TIME_FILE}: en.short[1]: has 46 words, at most 45: word word")


def test_more_over_120_words_and_an_objection_with_two_short_answers_are_named(tmp_path, files):
    files[NO_TIME]["es"]["more"] = " ".join(["palabra"] * 121)
    files[NO_TIME]["it"]["short"] = files[NO_TIME]["it"]["short"][:2]
    problems = _problems(tmp_path, files)
    assert f"{NO_TIME_FILE}: it.short: an objection needs at least 3 short answers, has 2" in problems
    assert any(p.startswith(f"{NO_TIME_FILE}: es.more: has 121 words, at most 120: palabra") for p in problems)
    assert len(problems) == 2


def test_a_section_not_in_its_document_is_named(tmp_path, files):
    files[NO_TIME]["sources"][1]["section"] = "Percepción: los usuarios finales"
    assert _problems(tmp_path, files) == [
        f"{NO_TIME_FILE}: sources[1].section: 'Percepción: los usuarios finales' is not in {CUATRO_P} "
        "(copy a heading or a passage as it is written there)"
    ]


def test_a_figure_not_in_the_cited_documents_is_named(tmp_path, files):
    files[NO_TIME]["es"]["tip"] = "Dedica 15 minutos al día a registrar tus visitas."
    files[CAUSES]["en"]["for_leads"] = "Skills decay by 10% a year."  # in the podcast, which this entry does not cite
    assert _problems(tmp_path, files) == [
        f"knowledge/answers/ask_failure_causes.yml: en.for_leads: the figure '10%' is not in the documents it cites ({CUATRO_P})",
        f"{NO_TIME_FILE}: es.tip: the figure '15' is not in the documents it cites ({PODCAST}, {CUATRO_P})",
    ]


def test_figures_the_documents_state_pass_even_in_ranges_and_beside_letters(tmp_path, files):
    files[NO_TIME]["en"]["more"] = (
        "An IDC study (2012) says skills decay 10-30% a year; 30 % to 60% of projects fail (001)."
    )
    assert _problems(tmp_path, files) == []


def test_figures_are_tokens_with_a_digit_without_their_punctuation():
    assert fidelity.figures("Dal 2001 al 2014, (IDC 2012): il 10-30 % l’80% n.3 e B2B.") == [
        "2001",
        "2014",
        "2012",
        "10-30%",
        "80%",
        "n.3",
        "B2B",
    ]
    assert not fidelity._contains_figure("nel 20120 casi", "2012")
    assert fidelity._contains_figure("nel 2012emerge", "2012")


def test_too_many_answers_sending_the_salesperson_to_their_manager_are_named_with_the_share(tmp_path, files):
    files[NO_TIME]["en"]["short"][1] = "If it slows you down, raise it with your boss."
    files[CAUSES]["en"]["short"][0] = "Ask your Manager what failed before."
    assert _problems(tmp_path, files) == [
        "knowledge/answers: en.short: 2 of 5 short answers (40%) send the salesperson to their manager, at most 25%: "
        "ask_failure_causes short[0] (Manager), objection_no_time short[1] (boss)"
    ]


def test_one_manager_answer_in_five_is_within_the_quarter(tmp_path, files):
    files[NO_TIME]["it"]["short"][1] = "Se ti rallenta, dillo al tuo responsabile."
    assert _problems(tmp_path, files) == []


def test_a_vosotros_form_is_named_in_answers_conversation_and_howtos(tmp_path, files):
    files[NO_TIME]["es"]["short"][0] = "Sé que no tenéis tiempo."
    files["conversation/es.yml"]["greet"][1] = "¡Hola! Os ayudo con el CRM."
    files["howto/log_a_call.yml"]["es"]["steps"][0] = "Abrid vuestra ficha del cliente."
    problems = _problems(tmp_path, files)
    assert problems == [
        f"{NO_TIME_FILE}: es.short[0]: 'tenéis' addresses vosotros; write to tú or ustedes: …Sé que no tenéis tiempo.…",
        "knowledge/conversation/es.yml: greet[1]: 'Os' addresses vosotros; write to tú or ustedes: …¡Hola! Os ayudo con el CRM.…",
        "knowledge/howto/log_a_call.yml: es.steps[0]: 'vuestra' addresses vosotros; write to tú or ustedes: …Abrid vuestra ficha del cliente.…",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Nosotros y los costos de los días.",
        "Vosotrosa no existe, ni sistemas OSX.",
        "Ustedes pueden; tú puedes.",
        "Como dice el artículo: «Si queréis que lo usen».",
    ],
)
def test_words_containing_os_and_verbatim_quotes_are_not_vosotros(tmp_path, files, text):
    files[NO_TIME]["es"]["tip"] = text  # the quote is verbatim in 002, which the entry cites
    assert _problems(tmp_path, files) == []


def test_the_checks_regular_expressions_have_no_nested_repeats():
    # What keeps them linear on any text (a repeat inside a repeat can backtrack exponentially);
    # the time itself is a benchmark's figure: `python -m bench.hostile_inputs`.
    patterns = [value for value in vars(fidelity).values() if isinstance(value, re.Pattern)]
    patterns += fidelity._MANAGER.values()
    assert fidelity._QUOTE in patterns and fidelity._VOSOTROS in patterns
    assert [(pattern.pattern, depth) for pattern in patterns for _, depth in regex_repeats(pattern) if depth] == []
    # The walker sees a repeat through groups and alternatives.
    assert regex_repeats(re.compile(r"(?:a|(?=c)(b+))*")) == [
        (sre_constants.MAXREPEAT, 0),
        (sre_constants.MAXREPEAT, 1),
    ]


def test_hostile_texts_are_checked_to_the_end(tmp_path, files):
    files[NO_TIME]["en"]["more"] = "«" + "a «b " * 20000 + " 1" * 20000
    problems = [p for p in _problems(tmp_path, files) if p.startswith(f"{NO_TIME_FILE}: en.more:")]
    assert sum("without its pair" in p for p in problems) == 1
    assert sum("has 60000 words" in p for p in problems) == 1
    assert any("the figure '1' is not in the documents" in p for p in problems)
