"""The "Wants a person" list: requests with the conversation before them, trainers only, done once."""

import datetime as dt

import pytest

from bot.adoption_log.store import LogRecord

USER = "p-wants-a-person-test"
START = dt.datetime(2026, 11, 21, 9, 0)


@pytest.fixture(scope="module")
def request_event(app):
    store = app.extensions["coach"]["store"]
    rows = [
        LogRecord(
            "req-u1",
            START,
            USER,
            "user",
            text="il crm si blocca sempre e nessuno mi aiuta",
            intent="objection_bad_tool",
        ),
        LogRecord("req-b1", START + dt.timedelta(seconds=1), USER, "bot", text="(coach answer)"),
        LogRecord("req-u2", START + dt.timedelta(seconds=30), USER, "user", text="voglio parlare con una persona"),
        LogRecord("req-b2", START + dt.timedelta(seconds=31), USER, "bot", text="Fatto", request="person"),
        LogRecord("req-u3", START + dt.timedelta(minutes=5), USER, "user", text="written after the request"),
    ]
    store.add(rows)
    yield "req-b2"
    store.forget(USER)


def test_a_trainer_sees_the_request_with_the_messages_before_it(browser, request_event):
    page = browser.login("tina").get("/wants-a-person")
    assert page.status_code == 200
    assert USER in page.text and "il crm si blocca sempre" in page.text
    assert "written after the request" not in page.text
    assert f"/wants-a-person/{request_event}/done" in page.text


def test_a_lead_cannot_see_requests(browser, request_event):
    assert browser.login("luca").get("/wants-a-person").status_code == 403


def test_done_removes_it_from_the_open_list_and_keeps_who_did_it(browser, request_event):
    browser.login("tina")
    assert browser.post(f"/wants-a-person/{request_event}/done", {}).status_code == 302
    assert USER not in browser.get("/wants-a-person").text
    handled = browser.get("/wants-a-person?handled=1").text
    assert USER in handled and "Done by tina" in handled


def test_done_on_something_that_is_not_a_request_is_not_found(browser, request_event):
    browser.login("tina")
    assert browser.post("/wants-a-person/req-u1/done", {}).status_code == 404
    assert browser.post("/wants-a-person/no-such-event/done", {}).status_code == 404
