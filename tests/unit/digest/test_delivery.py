"""Sending the digest: a real SMTP conversation with a local aiosmtpd server, and the chat
message with its chart to the repo's fake Telegram and Slack servers on 127.0.0.1."""

import socket
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from bot.digest import delivery
from bot.digest import settings as digest_settings

TOKEN = "123456:TEST-TOKEN"


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def _settings(**environ):
    return digest_settings.load({"COACH_TIMEZONE": "Europe/Rome", **environ})


def test_the_email_arrives_with_its_html_and_charts(smtp_server, digests):
    inbox, port = smtp_server
    settings = _settings(
        SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_FROM="coach@example.com", SMTP_STARTTLS="false",
        COACH_DIGEST_RECIPIENTS="lead@example.com, ceo@example.com",
    )  # fmt: skip
    result = delivery.deliver(settings, digests["it"])
    assert result.sent == ["e-mail to 2 recipients"] and result.failed == []
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "coach@example.com"
    assert envelope.rcpt_tos == ["lead@example.com", "ceo@example.com"]
    received = message_from_bytes(envelope.content, policy=default)
    assert received["Subject"].startswith("Riepilogo settimanale")
    html = received.get_body(("html",)).get_content()
    images = [part for part in received.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 2
    for image in images:
        assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html
        assert image.get_content() == digests["it"].charts[image.get_filename().removesuffix(".png")]


def test_an_unreachable_smtp_server_is_a_failure_named_not_a_traceback(digests):
    settings = _settings(
        SMTP_HOST="127.0.0.1", SMTP_PORT=str(_free_port()), SMTP_FROM="coach@example.com", SMTP_STARTTLS="false",
        COACH_DIGEST_RECIPIENTS="lead@example.com",
    )  # fmt: skip
    result = delivery.deliver(settings, digests["en"])
    assert result.sent == [] and len(result.failed) == 1 and "e-mail through 127.0.0.1" in result.failed[0]


def test_the_chat_message_goes_to_telegram_with_its_chart(fake_telegram, digests):
    settings = _settings(
        TELEGRAM_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake_telegram.base_url, COACH_DIGEST_TELEGRAM_CHAT="-100123"
    )
    assert delivery.deliver(settings, digests["es"]).sent == ["Telegram chat -100123"]
    [photo] = fake_telegram.sent(-100123, "sendPhoto")
    assert photo["caption"] == digests["es"].chat_text()
    assert photo["photo"] == digests["es"].chat_chart()


def test_the_chat_message_goes_to_slack_with_its_chart(fake_slack, digests):
    settings = _settings(
        SLACK_BOT_TOKEN="xoxb-test", SLACK_API_BASE_URL=fake_slack.base_url, COACH_DIGEST_SLACK_CHANNEL="C0LEADS"
    )
    assert delivery.deliver(settings, digests["en"]).sent == ["Slack channel C0LEADS"]
    [upload] = fake_slack.uploads.values()
    assert upload == digests["en"].chat_chart()
    [complete] = fake_slack.called("files.completeUploadExternal")
    assert complete["channel_id"] == "C0LEADS" and complete["initial_comment"] == digests["en"].chat_text()


def test_one_failing_destination_does_not_stop_the_others(fake_telegram, digests):
    settings = _settings(
        TELEGRAM_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake_telegram.base_url, COACH_DIGEST_TELEGRAM_CHAT="-100123",
        SLACK_BOT_TOKEN="xoxb-test", SLACK_API_BASE_URL=f"http://127.0.0.1:{_free_port()}/api/",
        COACH_DIGEST_SLACK_CHANNEL="C0LEADS",
    )  # fmt: skip
    result = delivery.deliver(settings, digests["en"])
    assert (
        result.sent == ["Telegram chat -100123"]
        and len(result.failed) == 1
        and "Slack channel C0LEADS" in result.failed[0]
    )


def test_a_teams_digest_goes_only_to_that_teams_recipients_and_nowhere_else(digests):
    settings = _settings(TELEGRAM_TOKEN=TOKEN, COACH_DIGEST_TELEGRAM_CHAT="-100123")
    team_digest = type(digests["en"])(
        type(digests["en"].figures)(**{**digests["en"].figures.__dict__, "team": "Nord"}), "en", digests["en"].kb
    )
    with pytest.raises(delivery.DeliveryError, match="COACH_DIGEST_RECIPIENTS_NORD"):
        delivery.deliver(settings, team_digest)
