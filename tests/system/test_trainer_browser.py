"""A trainer edits an answer in the dashboard (Chromium) and a salesperson sees it in the web
chat, with no restart: the product as `make run` starts it, on copies of knowledge/."""
import subprocess
import sys

import pytest

from tests.system.test_dashboard_browser import chromium_page
from tests.conftest import ROOT

NEW_ANSWER = "Il tempo è poco, lo so: registra solo due righe dopo ogni visita e guarda cosa ti restituisce."


@pytest.fixture(scope="module")
def page():
    yield from chromium_page()


def test_an_edited_answer_reaches_the_web_chat_within_seconds(product, product_env, page):
    subprocess.run([sys.executable, "-m", "bot.cli", "user", "add", "tina", "--role", "trainer", "--password-stdin"],
                   input="trainer-password-1\n", text=True, env=product_env, cwd=ROOT, check=True, capture_output=True)
    page.goto("http://127.0.0.1:8050/knowledge/objection_no_time/it")
    page.fill("input[name=username]", "tina")
    page.fill("input[name=password]", "trainer-password-1")
    page.click("form.login button")
    page.wait_for_selector("#answer-form")
    page.locator("textarea[name=short]").first.fill(NEW_ANSWER)
    page.wait_for_function("text => document.getElementById('preview-answer').textContent.startsWith(text)", arg=NEW_ANSWER)
    page.click("#answer-form button")
    page.wait_for_selector("text=Saved.")

    page.goto("http://127.0.0.1:8000/")
    page.fill("#text", "non ho tempo per compilare il CRM")
    page.press("#text", "Enter")
    page.wait_for_selector(f"text={NEW_ANSWER[:40]}", timeout=30_000)
