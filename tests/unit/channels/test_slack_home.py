"""Slack's App Home as the follow-ups' switch, with the real slack-bolt app and Web API client
against the local Slack (tests/fakes/slack_api.py): opening the tab publishes where the person
stands and one button; the button turns follow-ups on (to their direct-message channel) or off.
Also through Bolt's own dispatch, so the event and the action reach the connector as Slack sends them."""

from __future__ import annotations

import time

import pytest
from slack_bolt.request import BoltRequest

from bot.channels.rasa_client import CoachClient
from bot.channels.slack import SlackConfig, SlackConnector
from bot.followups.door import FollowupDoor
from bot.followups.store import OFF, ON, FollowupStore
from bot.knowledge import base as knowledge
from bot.privacy.pseudonyms import pseudonym
from tests.fakes import slack_api
from tests.fakes.slack_api import FakeSlack, home_click, home_opened
from tests.unit.followups.conftest import MONDAY

KB = knowledge.load()
KEY = b"the-key-of-these-tests"
UNUSED_COACH = "http://127.0.0.1:9/unused"  # the switch never reaches the coach
BODY = {"team_id": slack_api.TEAM}


def _say(lang: str, key: str) -> str:
    return KB.conversation[lang].texts[key][0]


@pytest.fixture
def fake_slack(monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("COACH_CONNECTOR_SECRET", "")
    fake = FakeSlack(locales={"U9": "es-ES"}).start()
    yield fake
    fake.stop()


@pytest.fixture
def connector(fake_slack, migrated_log) -> SlackConnector:
    door = FollowupDoor("slack", KEY, migrated_log, lambda: KB, clock=lambda: MONDAY)
    config = SlackConfig("xoxb-test", "xapp-test", UNUSED_COACH, fake_slack.base_url)
    return SlackConnector(config, CoachClient(UNUSED_COACH, "slack"), door)


def _home(fake: FakeSlack, user: str) -> dict:
    """The Home view last published for `user`: its text, its buttons, what it keeps."""
    [*_, published] = [call for call in fake.called("views.publish") if call["user_id"] == user]
    return published["view"]


def _shown(view: dict) -> tuple[str, list[tuple[str, str]]]:
    [section, actions] = view["blocks"]
    return section["text"]["text"], [(e["text"]["text"], e["value"]) for e in actions["elements"]]


def test_the_home_tab_asks_then_the_button_turns_follow_ups_on_and_off(fake_slack, connector, migrated_log):
    client, store, user = connector.app.client, FollowupStore(migrated_log.engine), pseudonym(KEY, "slack", "U9")
    connector.on_home_opened(home_opened("U9"), client, BODY)
    view = _home(fake_slack, "U9")
    assert (view["type"], view["private_metadata"]) == ("home", "DU9")
    assert _shown(view) == (_say("es", "followup_offer"), [(_say("es", "followup_offer_yes"), "/nudges on")])

    acks: list[bool] = []
    connector.on_home_button(lambda: acks.append(True), home_click("U9", view), client)
    consent = store.consent(user)
    assert (consent.state, consent.address) == (ON, "DU9")  # follow-ups go to the direct messages
    view = _home(fake_slack, "U9")
    assert _shown(view) == (_say("es", "followup_on"), [(_say("es", "followup_stop_button"), "/nudges off")])

    connector.on_home_button(lambda: acks.append(True), home_click("U9", view), client)
    assert (store.consent(user).state, store.consent(user).address) == (OFF, None)
    assert _shown(_home(fake_slack, "U9")) == (
        _say("es", "followup_off"),
        [(_say("es", "followup_offer_yes"), "/nudges on")],
    )
    assert acks == [True, True] and fake_slack.posted("DU9") == []  # the tab says it; no message is written


def test_what_is_not_the_home_tab_of_this_workspace_or_our_button_changes_nothing(fake_slack, connector, migrated_log):
    client, store = connector.app.client, FollowupStore(migrated_log.engine)
    connector.on_home_opened(home_opened("U7", tab="messages"), client, BODY)
    connector.on_home_opened(home_opened("U7"), client, {"team_id": "T0OTHER"})
    assert fake_slack.called("views.publish") == []

    connector.on_home_opened(home_opened("U7"), client, BODY)
    view = _home(fake_slack, "U7")
    forged = home_click("U7", view)
    forged["actions"][0]["value"] = "/followup 1 helped"
    other_workspace = {**home_click("U7", view), "team": {"id": "T0OTHER"}}
    in_a_channel = home_click("U7", {**view, "private_metadata": "C0SALES"})
    for body in (forged, other_workspace, in_a_channel):
        connector.on_home_button(lambda: None, body, client)
    assert store.consent(pseudonym(KEY, "slack", "U7")) is None  # nobody is written to in a channel


def _dispatched(connector: SlackConnector, fake: FakeSlack, body: dict, published: int) -> dict:
    """Hands `body` to Bolt as Socket Mode would; Bolt runs the listener in a thread after its
    ack, so this waits (a guard against a hang, not a measure) for the view it publishes."""
    connector.app.dispatch(BoltRequest(body=body, mode="socket_mode"))
    deadline = time.monotonic() + 30
    while len(fake.called("views.publish")) < published and time.monotonic() < deadline:
        time.sleep(0.05)
    return _home(fake, "U7")


def test_bolt_routes_the_home_event_and_its_button_to_the_switch(fake_slack, connector, migrated_log):
    event = {"team_id": slack_api.TEAM, "api_app_id": "A0COACH", "type": "event_callback", "event_id": "Ev1"}
    view = _dispatched(connector, fake_slack, {**event, "event": home_opened("U7")}, 1)
    assert _shown(view)[1] == [(_say("en", "followup_offer_yes"), "/nudges on")]
    view = _dispatched(connector, fake_slack, home_click("U7", view), 2)
    assert _shown(view)[1] == [(_say("en", "followup_stop_button"), "/nudges off")]
    assert FollowupStore(migrated_log.engine).consent(pseudonym(KEY, "slack", "U7")).state == ON
