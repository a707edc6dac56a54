"""The digest's settings: defaults, team recipients, and a clear SettingsError for each bad value."""

import pytest

from bot.digest import settings as digest_settings
from bot.settings import SettingsError

SMTP = {"SMTP_HOST": "smtp.example.com", "SMTP_FROM": "coach@example.com"}


def test_defaults_send_nowhere_on_monday_at_8_utc_in_english():
    found = digest_settings.load({})
    assert (found.day, found.hour, str(found.timezone), found.language) == (0, 8, "UTC", "en")
    assert not found.configured() and found.smtp is None


def test_recipients_per_team_are_read_by_the_teams_name():
    found = digest_settings.load(
        {**SMTP, "COACH_DIGEST_RECIPIENTS": "a@example.com", "COACH_DIGEST_RECIPIENTS_COSTA_EST": "b@x.it, c@x.it"}
    )
    assert found.configured() and found.smtp.starttls and found.smtp.port == 587
    assert found.recipients_of(None) == ("a@example.com",)
    assert found.recipients_of("Costa Est") == ("b@x.it", "c@x.it") and found.recipients_of("Nord") == ()


@pytest.mark.parametrize(
    "environ, named",
    [
        ({"COACH_DIGEST_DAY": "someday"}, "COACH_DIGEST_DAY"),
        ({"COACH_DIGEST_HOUR": "24"}, "COACH_DIGEST_HOUR"),
        ({"COACH_DIGEST_HOUR": "-1"}, "COACH_DIGEST_HOUR"),
        ({"COACH_TIMEZONE": "Mars/Olympus"}, "COACH_TIMEZONE"),
        ({"COACH_TIMEZONE": "../../etc/passwd"}, "COACH_TIMEZONE"),
        ({"COACH_DIGEST_LANGUAGE": "fr"}, "COACH_DIGEST_LANGUAGE"),
        ({"COACH_DIGEST_RECIPIENTS": "lead@example.com"}, "SMTP_HOST"),
        ({**SMTP, "COACH_DIGEST_RECIPIENTS": "lead@example.com, not an address"}, "COACH_DIGEST_RECIPIENTS"),
        ({**SMTP, "COACH_DIGEST_RECIPIENTS_NORD": "a@b.it\r\nBcc: x@y.z"}, "COACH_DIGEST_RECIPIENTS_NORD"),
        ({"SMTP_HOST": "smtp.example.com", "SMTP_FROM": "nobody"}, "SMTP_FROM"),
        ({**SMTP, "SMTP_PORT": "99999"}, "SMTP_PORT"),
        ({**SMTP, "SMTP_USER": "coach", "SMTP_STARTTLS": "false"}, "SMTP_STARTTLS"),
        ({"COACH_DIGEST_SLACK_CHANNEL": "C0LEADS"}, "SLACK_BOT_TOKEN"),
        ({"COACH_DIGEST_TELEGRAM_CHAT": "-100123"}, "TELEGRAM_TOKEN"),
        ({"COACH_DIGEST_TELEGRAM_CHAT": "leads chat", "TELEGRAM_TOKEN": "1:x"}, "COACH_DIGEST_TELEGRAM_CHAT"),
    ],
)
def test_a_bad_value_is_a_clear_error_naming_the_setting(environ, named):
    with pytest.raises(SettingsError, match=named):
        digest_settings.load(environ)


def test_a_password_may_go_without_tls_only_to_this_machine():
    found = digest_settings.load({**SMTP, "SMTP_HOST": "127.0.0.1", "SMTP_USER": "u", "SMTP_STARTTLS": "false"})
    assert found.smtp.user == "u" and not found.smtp.starttls


def test_an_address_check_is_linear_on_a_long_hostile_value():
    assert not digest_settings.is_address("a@" + "." * 100_000)
    assert not digest_settings.is_address("@example.com") and digest_settings.is_address("x.y@mail.example.com")
