"""Every page, filter, role rule, CSV download, login and CSRF of the dashboard, over demo data."""

import csv
import io
import re

import pytest

from bot.dashboard.tables import TABLES
from tests.unit.dashboard.conftest import Browser

PAGES = ["/", "/objections", "/answers", "/not-understood", "/conversations"]
FILTERS = [
    "",
    "team=Iberia",
    "channel=slack",
    "language=en",
    "team=Nord&channel=telegram&language=it",
    "start=2026-11-01&end=2026-11-20",
    "objection=objection_fear_of_control",
]


def test_every_page_asks_for_a_login_first(browser):
    for path in PAGES + ["/users", "/csv/answers.csv"]:
        response = browser.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("filters", FILTERS)
def test_every_page_answers_with_every_filter(browser, path, filters, period):
    response = browser.login("anna").get(f"{path}?{period}&{filters}")
    assert response.status_code == 200, response.text[:500]
    assert '<form method="get" class="filters"' in response.text


def test_filters_change_the_figures(browser, period):
    browser.login("luca")
    everyone = browser.get(f"/csv/objections.csv?{period}").text
    iberia = browser.get(f"/csv/objections.csv?{period}&team=Iberia").text
    assert everyone != iberia


def test_a_bad_date_is_named_and_the_default_used(browser):
    response = browser.login("luca").get("/?start=yesterday")
    assert response.status_code == 200 and "is not a date" in response.text


def test_the_overview_shows_totals_charts_and_rising_objections(browser, period):
    page = browser.login("luca").get(f"/?{period}").text
    assert 'id="chart-objections_weekly"' in page and 'id="chart-sentiment_weekly"' in page
    assert 'id="rising"' in page
    rising = list(csv.DictReader(io.StringIO(browser.get(f"/csv/rising.csv?{period}").text)))
    assert rising and {r["intent"] for r in rising} & {
        "objection_fear_of_control",
        "objection_no_time",
        "objection_useless_process",
    }


def test_an_objection_page_gives_the_documents_advice(browser, period):
    page = browser.login("luca").get(f"/objections?{period}&objection=objection_no_time").text
    assert "Perception" in page and "Rule 3: Investire con gradualità" in page
    assert "Rule 6: Spiegare, condividere, motivare" in page


@pytest.mark.parametrize("path", ["/not-understood", "/conversations", "/users", "/csv/not_understood.csv"])
def test_a_lead_sees_aggregates_only(browser, path):
    assert browser.login("luca").get(path).status_code == 403


def test_a_lead_cannot_open_a_transcript(browser, period):
    trainer = Browser(browser.client.application).login("tina")
    user = trainer.get(f"/conversations?{period}").text.split('href="/conversations/')[1].split("?")[0]
    assert trainer.get(f"/conversations/{user}").status_code == 200
    assert browser.login("luca").get(f"/conversations/{user}").status_code == 403


def test_a_trainer_sees_what_was_not_understood_grouped_most_frequent_first(browser, period):
    browser.login("tina")
    assert browser.get("/users").status_code == 403
    groups = list(csv.DictReader(io.StringIO(browser.get(f"/csv/not_understood.csv?{period}").text)))
    counts = [int(g["count"]) for g in groups]
    assert counts == sorted(counts, reverse=True) and counts[0] > 1
    assert any("outlook" in g["text"] and "sincroniz" in g["examples"] for g in groups)


def test_a_transcript_never_shows_sentiment(browser, period):
    browser.login("tina")
    user = browser.get(f"/conversations?{period}").text.split('href="/conversations/')[1].split("?")[0]
    page = browser.get(f"/conversations/{user}").text
    transcript = page.split('<ol class="transcript">')[1].split("</ol>")[0]
    assert "<li" in transcript
    # The messages may say anything (an answer may speak of "negative attitudes"); around them, no mood.
    around_the_messages = re.sub(r"<div>.*?</div>", "", transcript, flags=re.S)
    assert not re.search(r"sentiment|negative|neutral|positive|-?0\.\d", around_the_messages)


def test_small_groups_are_never_shown(browser):
    browser.login("luca")
    narrow = "start=2026-11-16&end=2026-11-20&team=UK"
    rows = list(csv.DictReader(io.StringIO(browser.get(f"/csv/objections_weekly.csv?{narrow}").text)))
    assert rows and all(r["count"] == "fewer than 5 people" for r in rows)


@pytest.mark.parametrize("name", [n for n, t in TABLES.items() if t.role == "lead"])
def test_every_chart_downloads_as_csv_with_its_columns(browser, name, period):
    response = browser.login("luca").get(f"/csv/{name}.csv?{period}&objection=objection_no_time")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert next(csv.reader(io.StringIO(response.text))) == TABLES[name].columns


def test_an_unknown_csv_is_not_found(browser):
    assert browser.login("luca").get("/csv/everything.csv").status_code == 404


def test_a_wrong_password_is_refused(browser):
    assert browser.post("/login", {"username": "luca", "password": "wrong-password"}).status_code == 401
    assert browser.post("/login", {"username": "nobody", "password": "wrong-password"}).status_code == 401


def test_a_form_without_its_csrf_token_is_refused(browser):
    response = browser.post("/login", {"username": "luca", "password": "lead-password-1"}, with_token=False)
    assert response.status_code == 400
    browser.login("anna")
    response = browser.post(
        "/users", {"action": "add", "username": "eve", "password": "p" * 12, "role": "admin"}, with_token=False
    )
    assert response.status_code == 400
    assert "eve" not in browser.get("/users").text


def test_logging_out_ends_the_session(browser):
    browser.login("luca")
    browser.post("/logout", {})
    assert browser.get("/").status_code == 302


def test_an_admin_manages_users_but_never_removes_the_last_admin(browser):
    browser.login("anna")
    browser.post("/users", {"action": "add", "username": "marta", "password": "marta-password", "role": "trainer"})
    assert "marta" in browser.get("/users").text
    browser.post("/users", {"action": "role", "username": "marta", "role": "lead"})
    assert (
        Browser(browser.client.application)
        .post("/login", {"username": "marta", "password": "marta-password"})
        .status_code
        == 302
    )
    browser.post("/users", {"action": "remove", "username": "anna"})
    page = browser.get("/users").text
    assert "the last admin cannot be removed" in page and ">anna<" in page


def test_a_too_short_password_is_refused_with_a_reason(browser):
    browser.login("anna")
    browser.post("/users", {"action": "add", "username": "bob", "password": "short", "role": "lead"})
    page = browser.get("/users").text
    assert "at least 10 characters" in page and ">bob<" not in page
