"""A trainer edits an answer in the dashboard (Chromium) and a salesperson sees it in the web
chat, with no restart: the product as `make run` starts it, on copies of knowledge/."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge.base import load
from tests.conftest import ROOT
from tests.system.test_dashboard_browser import chromium_page

NEW_ANSWER = "Il tempo è poco, lo so: registra solo due righe dopo ogni visita e guarda cosa ti restituisce."


@pytest.fixture(scope="module")
def page():
    # A Spanish-speaking browser: the page passes its language on as the hint.
    yield from chromium_page(locale="es-ES")


def test_an_edited_answer_reaches_the_web_chat_within_seconds(product, product_env, page):
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "user", "add", "tina", "--role", "trainer", "--password-stdin"],
        input="trainer-password-1\n",
        text=True,
        env=product_env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    page.goto(f"{product.dashboard_url}/knowledge/objection_no_time/it")
    page.fill("input[name=username]", "tina")
    page.fill("input[name=password]", "trainer-password-1")
    page.click("form.login button")
    page.wait_for_selector("#answer-form")
    # Every variant starts with the new words: each person starts the rotation at their own variant.
    variants = page.locator("textarea[name=short]")
    for n in range(variants.count()):
        variants.nth(n).fill(NEW_ANSWER.replace("guarda", ("guarda", "vedi", "nota", "conta")[n % 4]))
    page.wait_for_function(
        "text => document.getElementById('preview-answer').textContent.startsWith(text)", arg=NEW_ANSWER
    )
    page.click("#answer-form button")
    # The dashboard follows the browser's language: the Spanish catalogue's "Saved."
    page.wait_for_selector("text=Guardado.")

    page.goto(product.webchat_url)
    greeting = page.locator(".msg.bot").first.text_content()
    assert all(hello in greeting for hello in ("Ciao!", "¡Hola!", "Hi!")), greeting
    page.fill("#text", "non ho tempo per compilare il CRM")
    with page.expect_request(lambda request: request.method == "POST") as sent:
        page.press("#text", "Enter")
    assert sent.value.url == product.webchat_url + "webhook"
    assert json.loads(sent.value.post_data)["metadata"] == {"language_hint": "es"}
    page.wait_for_selector(f"text={NEW_ANSWER[:40]}", timeout=30_000)

    # The answer's buttons: a click shows its title as the salesperson's message, and the tip.
    tip = load(Path(product_env["COACH_KNOWLEDGE_DIR"])).entry("objection_no_time").answers["it"].tip
    page.locator(".buttons button").nth(1).click()
    page.wait_for_function("() => document.querySelectorAll('.msg.bot').length >= 3", timeout=30_000)
    assert tip in "\n".join(page.locator(".msg.bot").all_text_contents()[2:])
    assert page.locator(".msg.error").count() == 0
