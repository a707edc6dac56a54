"""The web chat's follow-ups over HTTP, through the channel as Rasa mounts it (the doors of
test_chat_doors.py): `/nudges on` and the buttons answered at the webhook without the coach, the
question after the first "that helped", what is due shown by ./followups when the page opens,
once, and that route held to the webhook's checks. The follow-ups' clock is a list the test moves."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from sanic import Sanic

from bot.adoption_log.store import LogStore
from bot.followups.page import PageFollowups
from bot.followups.store import FollowupStore
from bot.knowledge import base as knowledge
from bot.privacy.pseudonyms import pseudonym
from bot.rasa_plugins.rest_channel import MAX_BODY, NOT_JSON, WRONG_ORIGIN
from tests.unit.channels.test_chat_doors import JSON, Doors
from tests.unit.followups.conftest import MONDAY, ROME, tip_row

KB = knowledge.load()
THURSDAY_TEN = MONDAY + dt.timedelta(days=3, hours=2)  # a tip given on Monday at 10:00 is checked


def _say(lang: str, key: str) -> str:
    return KB.conversation[lang].texts[key][0]


@pytest.fixture(scope="module")
def doors(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # as test_chat_doors.py's fixture, for the same reason
        patch.setattr(Sanic, "test_mode", True)
        opened = Doors(tmp_path_factory.mktemp("var"))
    yield opened
    opened.close()


@pytest.fixture
def clock(doors, migrated_log):
    """The web chat's follow-ups on this test's log database, at the moment in `clock[0]`."""
    moment = [MONDAY]
    doors.webchat.followups = PageFollowups(migrated_log, doors.key, lambda: KB, ROME, clock=lambda: moment[0])
    return moment


def _open(doors: Doors, body, headers=None) -> httpx.Response:
    """The page opening: it asks for what is due."""
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    return httpx.post(f"{doors.url}/webchat/followups", content=content, headers=headers or JSON, timeout=30)


def _say_to(doors: Doors, sender: str, message: str) -> list[dict]:
    response = doors.post("webchat", {"sender": sender, "message": message, "metadata": {"language_hint": "it"}})
    assert response.status_code == 200, response.text
    return response.json()


def test_agreeing_then_a_due_tip_check_is_shown_once_and_its_button_is_answered(doors, clock, migrated_log):
    before = len(doors.received)
    [agreed] = _say_to(doors, "web-7", "/nudges on")
    assert agreed["text"] == _say("it", "followup_on")
    user = pseudonym(doors.key, "webchat", "web-7")
    assert agreed["recipient_id"] == user
    migrated_log.add([tip_row(user, MONDAY + dt.timedelta(hours=2), "objection_no_time")])

    clock[0] = MONDAY + dt.timedelta(hours=3)
    assert _open(doors, {"sender": "web-7"}).json() == []  # planned now, due on Thursday
    clock[0] = THURSDAY_TEN
    [shown] = _open(doors, {"sender": "web-7", "metadata": {"language_hint": "it"}}).json()
    assert shown["text"].startswith(_say("it", "followup_tip_check")) and shown["recipient_id"] == user
    [message] = FollowupStore(migrated_log.engine).messages(user)
    assert [b["payload"] for b in shown["buttons"]] == [
        f"/followup {message.id} {answer}" for answer in ("helped", "not_helped", "not_yet")
    ] + ["/nudges off"]
    assert _open(doors, {"sender": "web-7"}).json() == []  # the second tab, a reload: shown once
    assert _open(doors, {"sender": "web-8"}).json() == []  # nobody else's

    [thanks] = _say_to(doors, "web-7", f"/followup {message.id} helped")
    assert thanks["text"] == _say("it", "followup_thanks")
    [stopped] = _say_to(doors, "web-7", "/nudges off")
    assert stopped["text"] == _say("it", "followup_off")
    assert len(doors.received) == before, "the follow-ups' commands never reach the coach"


def test_the_first_that_helped_is_followed_by_the_question_once(doors, clock):
    [answer, question] = _say_to(doors, "web-9", "/feedback_helpful")
    assert answer["text"] == "ok" and doors.last().text == "/feedback_helpful"  # the coach had it first
    assert question["text"] == _say("it", "followup_offer")
    assert [b["payload"] for b in question["buttons"]] == ["/nudges on", "/nudges off"]
    assert [reply["text"] for reply in _say_to(doors, "web-9", "/feedback_helpful")] == ["ok"]


def test_the_follow_ups_route_is_held_to_the_webhooks_checks(doors, clock):
    page = {**JSON, "Origin": f"http://127.0.0.1:{doors.port}"}
    assert _open(doors, {"sender": "web-1"}, page).status_code == 200
    refused = [
        (_open(doors, {"sender": "web-1"}, {**JSON, "Origin": "https://evil.example.com"}), 403, WRONG_ORIGIN),
        (_open(doors, {"sender": "web-1"}, {"Content-Type": "text/plain"}), 415, NOT_JSON),
        (_open(doors, b"x" * (MAX_BODY + 1)), 413, "64 KB"),
    ]
    for response, status, why in refused:
        assert response.status_code == status and why in response.json()["error"]
    for body in ({}, {"sender": ""}, {"sender": 42}, b"[1]", b"{", b"\xff"):
        response = _open(doors, body)
        assert response.status_code == 400 and "sender" in response.json()["error"], body


def test_a_database_that_is_away_gets_a_clear_answer_and_the_chat_goes_on(doors, tmp_path):
    doors.webchat.followups = PageFollowups(
        LogStore(f"sqlite:///{tmp_path / 'empty.db'}"), doors.key, lambda: KB, ROME, clock=lambda: MONDAY
    )  # no tables: every query fails
    response = _open(doors, {"sender": "web-1"})
    assert response.status_code == 503 and "follow-ups" in response.json()["error"]
    assert doors.post("webchat", {"sender": "web-1", "message": "/nudges on"}).status_code == 503
    [answer] = doors.post("webchat", {"sender": "web-1", "message": "/feedback_helpful"}).json()
    assert answer["text"] == "ok"  # the coach's answer, without the question it could not note


@pytest.fixture
def page():
    """A page in Debian's headless Chromium, as the dashboard's browser tests have (skipped where it is not installed)."""
    from tests.system.test_dashboard_browser import chromium_page

    yield from chromium_page()


def test_the_page_shows_a_due_follow_up_with_its_buttons_when_it_opens(doors, clock, migrated_log, page):
    page.goto(f"{doors.url}/webchat/")
    sender = page.evaluate("localStorage.coachSender")
    [agreed] = _say_to(doors, sender, "/nudges on")
    assert agreed["text"] == _say("it", "followup_on")
    migrated_log.add(
        [tip_row(pseudonym(doors.key, "webchat", sender), MONDAY + dt.timedelta(hours=2), "objection_no_time")]
    )
    clock[0] = THURSDAY_TEN
    page.reload()
    page.wait_for_selector(".buttons button")
    assert page.locator(".msg.bot").nth(1).inner_text().startswith(_say("it", "followup_tip_check"))
    assert page.locator(".buttons button").all_inner_texts()[-1] == _say("it", "followup_stop_button")
    page.locator(".buttons button").first.click()  # "tried it, it helped": through the webhook
    page.wait_for_selector(f".msg.bot >> text={_say('it', 'followup_thanks')}")
