"""Issue 18 in a real browser (Debian's headless Chromium, driven by Playwright), with no shell
but for the last removal:

- on the dashboard as `make run` serves it (waitress), over a copy of the project's files: a topic
  whose examples are too few is refused with the field named, then shown as a diff and applied;
  a company policy (Markdown, and a PDF made here) is uploaded, cited by an answer that quotes it,
  and `coach kb check` accepts it, while a quote that is not in the policy is refused by field;
- on the product as `make run` starts it, over its own copies of the project: a trainer creates a
  topic, presses Retrain, waits for the page to say it is done (the suite's one real topic
  training, about 10-15 minutes on 2 cores), and the web chat answers the topic in Italian,
  Spanish and English; its held-out phrasings are recognised in each language, and `coach topic
  remove` leaves the files as they were.

The repository's own files are never touched."""

import json
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
import uuid

import pytest

from bot.dashboard.server import make_server
from bot.learning.examples import domain_intents, intent_examples
from bot.settings import LANGUAGES
from tests.conftest import ROOT
from tests.system.product import free_ports, require_model, running
from tests.system.test_dashboard_browser import chromium_page, require_chromium
from tests.unit.dashboard.conftest import PASSWORDS
from tests.unit.dashboard.test_topics_page import app  # noqa: F401  (a dashboard over a copy of the project)
from tests.unit.knowledge.test_documents import POLICY_LINES, QUOTE, pdf_with_lines
from tests.unit.learning.test_topics import ANSWERS, EXAMPLES, NAME, PROJECT_FILES, SECTION, SPEC

TRAINER_PASSWORD = "trainer-password-1"
TRAINING_MINUTES = 40  # a real training takes 10-15 minutes here; CI's limit for the suite is 90
# 36 phrasings per language (about 29 trained, 7 held out): the same sentences said three ways.
ENDINGS = {
    "it": ("", ", sul serio", ", ogni giorno"),
    "es": ("", ", en serio", ", cada día"),
    "en": ("", ", seriously", ", every day"),
}
MANY_EXAMPLES = {lang: [f"{text}{end}" for end in ENDINGS[lang] for text in EXAMPLES[lang]] for lang in LANGUAGES}
ANSWER = "objection_clients_are_mine"
MARKDOWN_TITLE = "Client ownership in the CRM"
MARKDOWN_POLICY = (
    f"# {MARKDOWN_TITLE}\n\n"
    "Policy of the sales department, 2026.\n\n"
    "A client stays with the salesperson who brought them in, also after the CRM is introduced.\n"
)
MARKDOWN_QUOTE = "A client stays with the salesperson who brought them in"
PDF_TITLE = POLICY_LINES[0]
NOT_IN_ANY_POLICY = "Managers read every note you write"


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


def log_in(page, url, password):
    page.goto(url)
    page.fill("input[name=username]", "tina")
    page.fill("input[name=password]", password)
    page.click("form.login button")


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
    log_in(page, f"{served}/topics/new", PASSWORDS["tina"][1])
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


# --- a company policy as a source ----------------------------------------------------------------


def upload_and_cite(page, served, path, title):
    """Uploads a file with its title, then has the answer cite it (at the section the page proposes)."""
    page.goto(f"{served}/documents")
    page.set_input_files("input[name=document]", str(path))
    page.fill("input[name=title]", title)
    page.select_option("select[name=language]", "en")
    page.click("#upload button")
    page.wait_for_selector(".flash:has-text('is a source')")
    row = page.locator("#documents tr", has_text=title)
    row.locator("select[name=intent]").select_option(ANSWER)
    row.get_by_role("button", name="Cite", exact=True).click()
    page.wait_for_selector(f".flash:has-text('{ANSWER} cites')")


def save_tip(page, served, tip):
    page.goto(f"{served}/knowledge/{ANSWER}/en")
    page.fill("textarea[name=tip]", tip)
    # The page the save answers with, not the form's page; the save checks every quote, which can be
    # slow on a loaded machine. (Its "Saved." was once lost to the preview the typing had asked for:
    # tests/unit/dashboard/test_trainer.py::test_a_preview_answered_after_the_save_...)
    with page.expect_navigation(timeout=90_000):
        page.click("#answer-form > button")
    page.wait_for_selector(".flash, #problems")


def kb_check(tmp_path):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "kb", "check"]
        + ["--knowledge", str(tmp_path / "knowledge"), "--data", str(tmp_path / "data")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_policy_uploaded_in_the_browser_is_quoted_by_an_answer_and_a_quote_not_in_it_is_refused(
    served, page, tmp_path
):
    log_in(page, f"{served}/documents", PASSWORDS["tina"][1])
    page.wait_for_selector("#upload")
    (tmp_path / "upload").mkdir()
    markdown = tmp_path / "upload" / "client-ownership.md"
    markdown.write_text(MARKDOWN_POLICY, encoding="utf-8")
    pdf = tmp_path / "upload" / "who-sees-clients.pdf"
    pdf.write_bytes(pdf_with_lines(POLICY_LINES))
    upload_and_cite(page, served, markdown, MARKDOWN_TITLE)
    upload_and_cite(page, served, pdf, PDF_TITLE)
    cited_by = page.inner_text("#documents")
    assert cited_by.count(ANSWER) >= 2 and "company_" in cited_by

    save_tip(page, served, f"Read the two policies: «{MARKDOWN_QUOTE}», and «{QUOTE}» Then tell your manager.")
    assert "Saved." in page.inner_text(".flash")
    answer = (tmp_path / "knowledge" / "answers" / f"{ANSWER}.yml").read_text(encoding="utf-8")
    assert MARKDOWN_QUOTE in answer and QUOTE in answer
    checked = kb_check(tmp_path)
    assert checked.returncode == 0 and "0 gaps" in checked.stdout, checked.stdout[-2000:] + checked.stderr

    save_tip(page, served, f"The policy is clear: «{NOT_IN_ANY_POLICY}».")
    problems = page.inner_text("#problems")
    assert f"en.tip: «{NOT_IN_ANY_POLICY}» is not verbatim in the documents it cites" in problems
    assert page.input_value("textarea[name=tip]").startswith("The policy is clear"), "what was typed is kept"
    assert NOT_IN_ANY_POLICY not in (tmp_path / "knowledge" / "answers" / f"{ANSWER}.yml").read_text(encoding="utf-8")


# --- the whole path, with the suite's one real topic training ------------------------------------


@pytest.fixture(scope="module")
def trainers_product(product_env, tmp_path_factory):
    """The product as `make run` starts it, over copies of the project of its own (domain.yml and
    config.yml too, beside the data, where topics and the training read them): the new model goes
    to its own models/ folder, so neither the repository nor the other tests' product changes."""
    require_chromium()
    require_model()
    var = tmp_path_factory.mktemp("trainers-product")
    for folder in ("knowledge", "data"):
        shutil.copytree(ROOT / folder, var / folder)
    for name in ("domain.yml", "config.yml"):
        shutil.copyfile(ROOT / name, var / name)
    # No Telegram or Slack: this product is for the browser only.
    env = {key: value for key, value in product_env.items() if not key.startswith(("TELEGRAM_", "SLACK_"))}
    env.update(
        {
            "COACH_VAR_DIR": str(var),
            "COACH_KNOWLEDGE_DIR": str(var / "knowledge"),
            "COACH_DATA_DIR": str(var / "data"),
            **dict(zip(("RASA_PORT", "ACTIONS_PORT", "DASHBOARD_PORT"), map(str, free_ports(3)), strict=True)),
        }
    )
    coach(env, ["user", "add", "tina", "--role", "trainer", "--password-stdin"], TRAINER_PASSWORD + "\n")
    with running(env) as product:
        yield product, env, var


def coach(env, arguments, stdin=""):
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *arguments], input=stdin, text=True, env=env, cwd=ROOT, capture_output=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def short_answers(language):
    return ANSWERS[language]["short"]


def held_out(var, language):
    return [e.text for e in intent_examples(var / "data" / "tests" / f"{language}.yml") if e.intent == NAME]


def said_by_rest(product, text):
    """The coach's first reply to `text`, from a new conversation on the REST channel."""
    body = json.dumps({"sender": f"topics-{uuid.uuid4()}", "message": text}).encode()
    request = urllib.request.Request(product.rest_url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        replies = json.loads(response.read())
    return replies[0]["text"] if replies else ""


def test_a_trainer_creates_a_topic_retrains_and_the_web_chat_answers_it_in_three_languages(trainers_product, page):
    from playwright.sync_api import expect  # (where Playwright is missing, the fixtures have skipped)

    product, env, var = trainers_product
    before = {name: (var / name).read_bytes() for name in PROJECT_FILES}
    log_in(page, f"{product.dashboard_url}/topics/new", TRAINER_PASSWORD)
    page.wait_for_selector("#topic-form")
    fill_topic(page, MANY_EXAMPLES)
    page.click("#topic-form > button")
    page.wait_for_selector("#diff")
    page.click("#apply button")
    page.wait_for_selector(f".flash:has-text('Topic {NAME} added')")

    page.get_by_role("button", name="Retrain", exact=True).click()
    state = page.locator("#training-state")
    # The page refreshes itself while the training runs; it ends done (either way) or not finished.
    expect(state).to_contain_text(re.compile("done|did not finish"), timeout=TRAINING_MINUTES * 60_000)
    outcome = state.inner_text()
    output = page.locator("#training-output").inner_text() if page.locator("#training-output").count() else ""
    assert "the coach now uses it" in outcome, f"{outcome}\n{output}"

    for language in LANGUAGES:
        # A salesperson whose browser speaks the language, in a conversation of their own.
        chat = page.context.browser.new_page(locale=language)
        chat.goto(product.webchat_url)
        chat.fill("#text", held_out(var, language)[0])
        chat.press("#text", "Enter")
        chat.wait_for_function("() => document.querySelectorAll('.msg.bot').length >= 2", timeout=60_000)
        reply = chat.locator(".msg.bot").nth(1).text_content()
        assert reply.split("\n\n")[0] in short_answers(language), (language, reply)
        assert chat.locator(".msg.error").count() == 0
        chat.close()

    # Its phrasings never trained on are recognised in every language (all but two at most).
    for language in LANGUAGES:
        texts = held_out(var, language)
        answered = [text for text in texts if said_by_rest(product, text).split("\n\n")[0] in short_answers(language)]
        assert len(answered) >= len(texts) - 2, (language, texts, answered)

    coach(env, ["topic", "remove", NAME])
    assert {name: (var / name).read_bytes() for name in PROJECT_FILES} == before
    assert not (var / "knowledge" / "answers" / f"{NAME}.yml").exists()
