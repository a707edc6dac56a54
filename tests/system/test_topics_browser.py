"""A trainer makes a topic in a real browser (Debian's headless Chromium, driven by Playwright),
on the dashboard as `make run` serves it (waitress), over a copy of the project's files: too few
examples are refused with the field named, then the change is shown as a diff, applied, and the
topic is listed. The repository's own files are never touched."""

import threading

import pytest

from bot.dashboard.server import make_server
from bot.learning.examples import domain_intents
from bot.settings import LANGUAGES
from tests.conftest import ROOT
from tests.system.test_dashboard_browser import chromium_page, require_chromium
from tests.unit.dashboard.conftest import PASSWORDS
from tests.unit.dashboard.test_topics_page import app  # noqa: F401  (a dashboard over a copy of the project)
from tests.unit.learning.test_topics import ANSWERS, EXAMPLES, NAME, SECTION, SPEC


@pytest.fixture
def served(app):  # noqa: F811
    require_chromium()
    server = make_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture
def page():
    yield from chromium_page()


def fill_topic(page, examples):
    page.fill("input[name=name]", NAME)
    page.fill("textarea[name=description]", SPEC["description"])
    page.fill("textarea[name=not_this]", SPEC["not_this"])
    for language in LANGUAGES:
        page.fill(f"textarea[name=examples_{language}]", "\n".join(examples[language]))
    page.select_option("select[name=source_document]", SPEC["sources"][0]["document"])
    page.fill("input[name=source_section]", SECTION)
    page.check("input[name=four_ps][value=processes]")
    for language in LANGUAGES:
        for key, value in ANSWERS[language].items():
            field = f"[name={language}_{key}]"
            page.fill(
                ("textarea" if key != "topic" else "input") + field, "\n".join(value) if key == "short" else value
            )


def test_a_trainer_creates_a_topic_in_the_browser(served, page, tmp_path):
    repository_domain = (ROOT / "domain.yml").read_bytes()
    page.goto(f"{served}/topics/new")
    page.fill("input[name=username]", "tina")
    page.fill("input[name=password]", PASSWORDS["tina"][1])
    page.click("form.login button")
    page.wait_for_selector("#topic-form")

    fill_topic(page, {**EXAMPLES, "it": EXAMPLES["it"][:7]})
    page.click("#topic-form > button")
    page.wait_for_selector("#problems")
    assert "examples.it: 7 examples, at least 10 needed" in page.inner_text("#problems")
    assert page.input_value("textarea[name=examples_es]") == "\n".join(EXAMPLES["es"]), "what was typed is kept"
    assert NAME not in domain_intents(tmp_path / "domain.yml")

    page.fill("textarea[name=examples_it]", "\n".join(EXAMPLES["it"]))
    page.click("#topic-form > button")
    page.wait_for_selector("#diff")
    diff = page.inner_text("#diff")
    assert f"+  - {NAME}" in diff and f"+++ b/knowledge/answers/{NAME}.yml" in diff
    assert "with fewer than 30" in page.inner_text("#warnings")
    assert NAME not in domain_intents(tmp_path / "domain.yml"), "nothing is written before Apply"

    page.click("#apply button")
    page.wait_for_selector("#topics")
    assert NAME in page.inner_text("#topics") and "tina" in page.inner_text("#topics")
    assert f"Topic {NAME} added" in page.content()
    assert NAME in domain_intents(tmp_path / "domain.yml")
    assert (tmp_path / "knowledge" / "topics" / f"{NAME}.yml").exists()
    assert (ROOT / "domain.yml").read_bytes() == repository_domain
    assert not (ROOT / "knowledge" / "topics" / f"{NAME}.yml").exists()
