"""Slack end to end: the real slack-bolt in Socket Mode, dialling a local Socket Mode
websocket and Web API, through the running coach and back: DMs, mentions in threads,
Block Kit buttons, locales as language hints, and the installed workspace only."""

import time

import pytest

from bot.knowledge.base import load
from tests.fakes import slack_api as slack
from tests.system.test_telegram import wait_for_rows

KB = load()


@pytest.fixture(scope="module")
def workspace(product, fake_slack):
    deadline = time.monotonic() + 60
    while not fake_slack.connected():
        assert time.monotonic() < deadline, "the Slack connector never opened its Socket Mode connection"
        time.sleep(0.2)
    return fake_slack


def short_answer(intent, language):
    return KB.entry(intent).answers[language].short


def test_a_direct_message_is_answered_in_the_slack_locale_with_block_kit_buttons(workspace, product_env):
    workspace.event(slack.direct_message("U1", "no tengo tiempo para el CRM"))
    [answer] = workspace.wait_for("DU1", 1)
    assert answer["text"].split("\n\n")[0] in short_answer("objection_no_time", "es")
    [section, actions] = answer["blocks"]
    assert [b["value"] for b in actions["elements"]] == [
        "/ask_more",
        "/ask_tip",
        "/feedback_helpful",
        "/feedback_not_helpful",
    ]
    rows = wait_for_rows(product_env, "U1", 2, channel="slack")
    assert {r["channel"] for r in rows} == {"slack"} and rows[0]["language"] == "es"


def test_a_button_click_follows_up_and_removes_the_buttons(workspace):
    workspace.event(slack.direct_message("U2", "they want the data to fire me"))
    workspace.wait_for("DU2", 1)
    workspace.send("interactive", slack.button_click("U2", "DU2", "/ask_tip"))
    tip = workspace.wait_for("DU2", 2)[1]
    assert KB.entry("objection_fear_of_control").answers["en"].tip in tip["text"]
    assert any(call["channel"] == "DU2" for call in workspace.called("chat.update"))


def test_a_mention_in_a_channel_is_answered_in_its_thread(workspace):
    event = slack.mention("U3", "non ho tempo per il CRM", channel="C0SALES")
    workspace.event(event)
    [answer] = workspace.wait_for("C0SALES", 1)
    assert answer["thread_ts"] == event["ts"]
    assert answer["text"].split("\n\n")[0] in short_answer("objection_no_time", "it")


def test_another_workspace_is_not_served(workspace):
    before = len(workspace.called("chat.postMessage"))
    workspace.event(slack.direct_message("U9", "no tengo tiempo", channel="DOTHER"), team="T0OTHER")
    workspace.event(slack.direct_message("U9", "no tengo tiempo", channel="DSHARED", user_team="T0OTHER"))
    # Then someone of the workspace: by the time they are answered, answers to the events before
    # (sent first, and turned away without a round trip to the coach) would have been posted.
    workspace.event(slack.direct_message("U4", "thanks a lot!", channel="DU4"))
    workspace.wait_for("DU4", 1)
    [thanks] = workspace.called("chat.postMessage")[before:]
    assert thanks["channel"] == "DU4" and thanks["text"].split("\n\n")[0] in KB.conversation["en"].texts["thanks"]


def test_files_and_edits_get_a_polite_reply_and_bad_events_no_crash(workspace):
    texts = KB.conversation["it"].texts
    workspace.event(slack.direct_message("U3", "", channel="DU3", subtype="file_share"))
    assert workspace.wait_for("DU3", 1)[0]["text"] == texts["unsupported_message"][0]
    workspace.event(
        slack.direct_message("U3", "", channel="DU3", subtype="message_changed", message={"user": "U3", "text": "x"})
    )
    assert workspace.wait_for("DU3", 2)[1]["text"] == texts["edited_message"][0]
    workspace.event({"type": "message", "channel_type": "im", "channel": "DU3"})  # no user, no text
    workspace.send("interactive", {"type": "block_actions", "actions": []})
    workspace.event(slack.direct_message("U3", "non ho tempo " * 1000, channel="DU3"))
    huge = workspace.wait_for("DU3", 3)[2]
    assert huge["text"]
    workspace.event(slack.direct_message("U3", "grazie mille!", channel="DU3"))
    assert workspace.wait_for("DU3", 4)[3]["text"].split("\n\n")[0] in texts["thanks"]
