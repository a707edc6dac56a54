"""A Telegram configuration that cannot work is named in one clear line, by the connector and by
`make run` (which then runs the coach without it), never a stack trace."""

from __future__ import annotations

import importlib.util
import os

import pytest

from bot import run
from bot.channels import telegram

GOOD = {"TELEGRAM_TOKEN": "123:abc", "TELEGRAM_JOIN_CODE": "crm-pilot-2026"}
WEBHOOK = {"TELEGRAM_WEBHOOK_URL": "https://coach.example/telegram", "TELEGRAM_WEBHOOK_SECRET": "s3cret-s3cret"}


@pytest.fixture
def environment(monkeypatch):
    """This process's environment holding exactly the Telegram and Slack settings a test gives."""
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "SLACK_")):
            monkeypatch.delenv(name)

    def set_to(values: dict[str, str]) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_to


def test_a_complete_configuration_has_no_problem():
    assert telegram.configuration_problem(GOOD) is None
    assert telegram.TelegramConfig.from_environment(GOOD).webhook_listen == "127.0.0.1"


@pytest.mark.parametrize(
    "settings, expected",
    [
        (
            {**GOOD, "TELEGRAM_WEBHOOK_PORT": "eighty"},
            "TELEGRAM_WEBHOOK_PORT must be a port number (1-65535), not 'eighty'",
        ),
        ({**GOOD, "TELEGRAM_WEBHOOK_PORT": "70000"}, "TELEGRAM_WEBHOOK_PORT must be a port number"),
        ({"TELEGRAM_TOKEN": "123:abc"}, "set an allowlist"),
        ({**GOOD, "TELEGRAM_JOIN_CODE": "short"}, "at least 8 characters"),
        ({**GOOD, "TELEGRAM_WEBHOOK_URL": "https://coach.example/telegram"}, "TELEGRAM_WEBHOOK_SECRET is required"),
        ({"TELEGRAM_JOIN_CODE": "crm-pilot-2026"}, "TELEGRAM_TOKEN is not set"),
    ],
)
def test_each_impossible_configuration_is_named(settings, expected):
    assert expected in telegram.configuration_problem(settings)


@pytest.mark.skipif(importlib.util.find_spec("tornado") is not None, reason="tornado is installed here")
def test_a_webhook_without_its_web_server_library_is_named_before_it_fails():
    assert "pip install tornado" in telegram.configuration_problem({**GOOD, **WEBHOOK})


def test_the_connector_says_why_it_does_not_start_and_exits_with_2(environment, capsys):
    environment({**GOOD, "TELEGRAM_WEBHOOK_PORT": "84 43"})
    assert telegram.main() == 2
    err = capsys.readouterr().err
    assert "telegram: not started: TELEGRAM_WEBHOOK_PORT must be a port number" in err
    assert "Traceback" not in err


def test_make_run_leaves_out_a_connector_that_cannot_start_and_keeps_the_others(environment):
    environment({**GOOD, "TELEGRAM_WEBHOOK_PORT": "-1", "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test"})
    started, refused = run._connectors()
    assert list(started) == ["slack"]
    assert "TELEGRAM_WEBHOOK_PORT must be a port number" in refused["telegram"]
    assert "telegram NOT STARTED: TELEGRAM_WEBHOOK_PORT" in run._connectors_line(started, refused)
