"""Follow-ups through the real connectors and senders, against the local Telegram and Slack
servers (tests/fakes): agreement with /nudges on, a follow-up delivered with its buttons, a
click logged as feedback, /nudges off and "stop" ending what comes next, and a worker that
sends nothing outside working hours. The clock is passed in (`run_once(now)`): nothing sleeps."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select
from telegram import Update

from bot.adoption_log.store import MessageRow
from bot.channels.access import Access
from bot.channels.rasa_client import CoachClient
from bot.channels.slack import SlackConfig, SlackConnector
from bot.channels.telegram import TelegramConfig, TelegramConnector
from bot.followups.door import FollowupDoor
from bot.followups.senders import SlackSender, TelegramSender
from bot.followups.store import ON, PULSE, FollowupStore
from bot.followups.worker import build
from bot.knowledge import base as knowledge
from bot.privacy.pseudonyms import pseudonym
from tests.fakes import slack_api
from tests.fakes.slack_api import button_click, direct_message, mention
from tests.fakes.telegram_api import FakeTelegram, click, text_message
from tests.unit.followups.conftest import MONDAY, ROME, tip_row

KB = knowledge.load()
KEY = b"the-key-of-these-tests"
ACCOUNT = 4201
THURSDAY_TEN = MONDAY + dt.timedelta(days=3, hours=2)  # the tip check's moment, 10:00 in Rome
FRIDAY_PULSE = ROME.pulse_time(MONDAY.date())
UNUSED_COACH = "http://127.0.0.1:9/unused"  # the follow-ups' commands never reach the coach


def _say(lang: str, key: str) -> str:
    return KB.conversation[lang].texts[key][0]


@pytest.fixture(autouse=True)
def _connector_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("COACH_CONNECTOR_SECRET", "")


def _door(log, channel: str) -> FollowupDoor:
    return FollowupDoor(channel, KEY, log, lambda: KB, clock=lambda: MONDAY)


def _worker(log, channel: str, sender):
    return build(log, KEY, lambda: KB, ROME, {channel: sender})


def _telegram(log, fake: FakeTelegram) -> TelegramConnector:
    config = TelegramConfig(fake.token, UNUSED_COACH, frozenset({str(ACCOUNT)}), None, fake.base_url)
    access = Access("telegram", KEY, log.engine, config.allowed, None)
    return TelegramConnector(config, CoachClient(UNUSED_COACH, "telegram"), access, _door(log, "telegram"))


def _updates(connector: TelegramConnector, *updates: dict) -> None:
    """The connector handles the updates one after the other, as its polling loop would."""

    async def handle() -> None:
        application = connector.build()
        await application.initialize()
        try:
            for number, update in enumerate(updates, 1):
                await application.process_update(Update.de_json({"update_id": number, **update}, application.bot))
        finally:
            await application.shutdown()

    asyncio.run(handle())


def _feedback(log, user: str) -> list[tuple[str, str]]:
    rows = MessageRow.__table__
    query = select(rows.c.kb_entry, rows.c.feedback).where(rows.c.user_id == user, rows.c.feedback.is_not(None))
    with log.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def test_telegram_agreement_a_tip_check_with_buttons_its_answer_as_feedback_then_nudges_off(log, fake_telegram):
    connector, user = _telegram(log, fake_telegram), pseudonym(KEY, "telegram", str(ACCOUNT))
    _updates(connector, text_message(ACCOUNT, "/nudges on", "it"))
    assert fake_telegram.sent(ACCOUNT)[-1]["text"] == _say("it", "followup_on")
    consent = FollowupStore(log.engine).consent(user)
    assert (consent.state, consent.address) == (ON, str(ACCOUNT))

    log.add([tip_row(user, MONDAY + dt.timedelta(hours=2), "objection_no_time")])
    sender = TelegramSender(fake_telegram.token, fake_telegram.base_url)
    worker = _worker(log, "telegram", sender)
    try:
        assert worker.run_once(MONDAY + dt.timedelta(hours=3)) == 0  # planned, not due yet
        assert worker.run_once(THURSDAY_TEN) == 1
        followup = fake_telegram.sent(ACCOUNT)[-1]
        assert followup["text"].startswith(_say("it", "followup_tip_check"))
        assert KB.entry("objection_no_time").answers["it"].tip in followup["text"]
        payloads = [b["callback_data"] for row in followup["reply_markup"]["inline_keyboard"] for b in row]
        [message_id] = {payload.split()[1] for payload in payloads if payload.startswith("/followup")}
        assert payloads == [f"/followup {message_id} {a}" for a in ("helped", "not_helped", "not_yet")] + [
            "/nudges off"
        ]

        _updates(connector, click(ACCOUNT, f"/followup {message_id} helped", "it"))
        assert fake_telegram.sent(ACCOUNT)[-1]["text"] == _say("it", "followup_thanks")
        assert _feedback(log, user) == [("objection_no_time", "helpful")]

        _updates(connector, click(ACCOUNT, "/nudges off", "it"))
        assert fake_telegram.sent(ACCOUNT)[-1]["text"] == _say("it", "followup_off")
        before = len(fake_telegram.sent(ACCOUNT))
        assert worker.run_once(FRIDAY_PULSE) == 0  # no pulse for who said no
        assert len(fake_telegram.sent(ACCOUNT)) == before
    finally:
        sender.close()


def test_a_group_chat_is_never_an_address(log, fake_telegram):
    connector = _telegram(log, fake_telegram)
    _updates(connector, text_message(ACCOUNT, "@CoachBot /nudges on", "es", chat_id=-100, chat_type="group"))
    assert fake_telegram.sent(-100)[-1]["text"] == _say("es", "followup_nudges_usage")
    assert FollowupStore(log.engine).consent(pseudonym(KEY, "telegram", str(ACCOUNT))) is None


def test_the_worker_sends_nothing_at_night_or_at_the_weekend(log, fake_telegram):
    connector, user = _telegram(log, fake_telegram), pseudonym(KEY, "telegram", str(ACCOUNT))
    _updates(connector, text_message(ACCOUNT, "/nudges on", "it"))
    log.add([tip_row(user, MONDAY + dt.timedelta(hours=2), "objection_no_time")])
    sender = TelegramSender(fake_telegram.token, fake_telegram.base_url)
    worker = _worker(log, "telegram", sender)
    agreed = len(fake_telegram.sent(ACCOUNT))
    try:
        worker.run_once(MONDAY + dt.timedelta(hours=3))
        thursday_evening = THURSDAY_TEN + dt.timedelta(hours=8, minutes=30)  # 18:30 in Rome: due, after hours
        friday_early = MONDAY + dt.timedelta(days=4, minutes=59)  # 8:59 in Rome
        for moment in (thursday_evening, friday_early):
            assert worker.run_once(moment) == 0, moment
        assert len(fake_telegram.sent(ACCOUNT)) == agreed
        assert worker.run_once(friday_early + dt.timedelta(minutes=1)) == 1  # 9:00: the tip check
        saturday = FRIDAY_PULSE + dt.timedelta(days=1)  # the pulse is due since Friday 15:00
        assert worker.run_once(saturday) == 0
        assert len(fake_telegram.sent(ACCOUNT)) == agreed + 1
        assert [m.kind for m in FollowupStore(log.engine).messages(user) if m.state == "due"] == [PULSE]
    finally:
        sender.close()


def test_slack_agreement_in_a_direct_message_a_refresher_with_buttons_and_stop(log, fake_slack):
    config = SlackConfig("xoxb-test", "xapp-test", UNUSED_COACH, fake_slack.base_url)
    connector = SlackConnector(config, CoachClient(UNUSED_COACH, "slack"), _door(log, "slack"))
    client, body, user = connector.app.client, {"team_id": slack_api.TEAM}, pseudonym(KEY, "slack", "U7")
    connector.on_mention(mention("U7", "/nudges on", channel="C0SALES"), client, body)
    assert fake_slack.posted("C0SALES")[-1]["text"] == _say("en", "followup_nudges_usage")  # not in a channel
    connector.on_message(direct_message("U7", "/nudges on"), client, body)
    assert fake_slack.posted("DU7")[-1]["text"] == _say("en", "followup_on")
    assert FollowupStore(log.engine).consent(user).address == "DU7"

    log.add([tip_row(user, MONDAY + dt.timedelta(hours=2), "objection_no_time", language="en")])
    worker = _worker(log, "slack", SlackSender("xoxb-test", fake_slack.base_url))
    worker.run_once(MONDAY + dt.timedelta(hours=3))
    assert worker.run_once(THURSDAY_TEN) == 1
    followup = fake_slack.posted("DU7")[-1]
    [section, actions] = followup["blocks"]
    assert section["text"]["text"].startswith(_say("en", "followup_tip_check"))
    values = [element["value"] for element in actions["elements"]]
    message_id = values[0].split()[1]
    assert values == [f"/followup {message_id} {a}" for a in ("helped", "not_helped", "not_yet")] + ["/nudges off"]

    connector.on_button(lambda: None, button_click("U7", "DU7", f"/followup {message_id} not_helped"), client)
    assert fake_slack.posted("DU7")[-1]["text"] == _say("en", "followup_thanks")
    assert _feedback(log, user) == [("objection_no_time", "not_helpful")]

    connector.on_message(direct_message("U7", "Stop"), client, body)
    assert fake_slack.posted("DU7")[-1]["text"] == _say("en", "followup_off")
    posted = len(fake_slack.posted("DU7"))
    assert worker.run_once(FRIDAY_PULSE) == 0
    assert len(fake_slack.posted("DU7")) == posted
