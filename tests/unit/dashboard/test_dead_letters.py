"""The admins' dead-letter page, and formula-safe CSV downloads (helper B's part of the dashboard)."""

import csv
import datetime as dt
import io

import pytest

from bot.adoption_log.store import LogStore
from bot.dashboard.app import create_app
from bot.dashboard.users import Users
from bot.db import utc_now
from bot.settings import load
from tests.unit.adoption_log.test_store import record
from tests.unit.dashboard.conftest import PASSWORDS, Browser

HOSTILE_TEXT = "<script>alert(1)</script> mi chiamo [name]"


@pytest.fixture
def app(database_url, tmp_path):
    settings = load(
        {
            "DATABASE_URL": database_url,
            "COACH_VAR_DIR": str(tmp_path),
            "COACH_SECRET_KEY": "k",
            "COACH_DASHBOARD_HTTPS": "true",
        }
    )
    store = LogStore(database_url)
    store.migrate()
    users = Users(store.engine)
    for name, (role, password) in PASSWORDS.items():
        users.add(name, password, role)
    store.bury("record", f'{{"user_id": "p-x", "text": "{HOSTILE_TEXT}"}}', "DataError: value too long", "p-x")
    yield create_app(settings, store=store)
    store.close()


def test_an_admin_sees_when_why_and_the_redacted_row_escaped(app):
    page = Browser(app).login("anna").get("/dead-letters")
    assert page.status_code == 200
    assert "1 dead letter." in page.text and "DataError: value too long" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; mi chiamo [name]" in page.text and "<script>alert" not in page.text
    assert 'href="/dead-letters"' in page.text  # the admin's menu links to it


@pytest.mark.parametrize("name", ["luca", "tina"])
def test_leads_and_trainers_see_no_dead_letter_and_no_link(app, name):
    browser = Browser(app).login(name)
    refused = browser.get("/dead-letters")
    assert refused.status_code == 403 and "mi chiamo" not in refused.text
    assert 'href="/dead-letters"' not in browser.get("/").text


def test_a_visitor_is_sent_to_the_login(app):
    response = Browser(app).get("/dead-letters")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_csv_download_never_holds_a_formula(app):
    store = app.extensions["coach"]["store"]
    store.add([record(ts=utc_now() - dt.timedelta(days=1), intent="nlu_fallback", text="=cmd|' /C calc'!A0")])
    period = f"start={(utc_now() - dt.timedelta(days=7)):%Y-%m-%d}&end={utc_now():%Y-%m-%d}"
    response = Browser(app).login("tina").get(f"/csv/not_understood.csv?{period}")
    assert response.status_code == 200
    [row] = csv.DictReader(io.StringIO(response.text))
    assert row["text"] == "'=cmd|' /C calc'!A0" and row["examples"].startswith("'=")


def test_an_admin_discards_a_dead_letter_once_dealt_with(app):
    store = app.extensions["coach"]["store"]
    [letter] = store.dead_letters()
    browser = Browser(app).login("anna")
    for bad in ("oops", "²", "9" * 5000, "-1", ""):
        assert browser.post("/dead-letters", {"letter": bad}).status_code == 400
    assert browser.post("/dead-letters", {"letter": str(letter.id)}, with_token=False).status_code != 302
    assert store.dead_letter_count() == 1  # no CSRF token, no change
    response = browser.post("/dead-letters", {"letter": str(letter.id)})
    assert response.status_code == 302 and store.dead_letter_count() == 0
    assert "0 dead letters." in browser.get("/dead-letters").text


def test_a_trainer_cannot_discard_one(app):
    store = app.extensions["coach"]["store"]
    [letter] = store.dead_letters()
    assert Browser(app).login("tina").post("/dead-letters", {"letter": str(letter.id)}).status_code == 403
    assert store.dead_letter_count() == 1
