"""When the weekly digest goes and where, from the environment (or `.env`).

COACH_DIGEST_DAY (mon..sun, default mon) and COACH_DIGEST_HOUR (0-23, default 8) in
COACH_TIMEZONE (an IANA name, default UTC); COACH_DIGEST_LANGUAGE (it, es, en; default en).
E-mail: SMTP_HOST, SMTP_PORT (587), SMTP_USER, SMTP_PASSWORD, SMTP_FROM, SMTP_STARTTLS (true);
COACH_DIGEST_RECIPIENTS gets the company's digest, COACH_DIGEST_RECIPIENTS_<TEAM> a team's (the
team's name in capitals, anything but letters and digits as `_`: team "Nord" -> _NORD).
Chat: COACH_DIGEST_SLACK_CHANNEL (with SLACK_BOT_TOKEN) and COACH_DIGEST_TELEGRAM_CHAT (with
TELEGRAM_TOKEN) get the company's short message. A value that cannot work is a SettingsError
that names the variable, never a traceback.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.settings import LANGUAGES, SettingsError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TEAM_RECIPIENTS = "COACH_DIGEST_RECIPIENTS_"
MAX_ADDRESS = 254  # RFC 5321's limit for a path
# Where a password may travel without TLS: this machine's own relay.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    sender: str
    user: str | None
    password: str | None
    starttls: bool


@dataclass(frozen=True)
class DigestSettings:
    day: int  # 0 = Monday, as datetime.weekday()
    hour: int
    timezone: zoneinfo.ZoneInfo
    language: str
    smtp: Smtp | None = None
    recipients: tuple[str, ...] = ()
    team_recipients: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # by env suffix
    slack_channel: str | None = None
    slack_token: str | None = None
    slack_api_url: str | None = None  # a local stand-in (tests); Slack's own when None
    telegram_chat: str | None = None
    telegram_token: str | None = None
    telegram_api_url: str | None = None

    def recipients_of(self, team: str | None) -> tuple[str, ...]:
        """Who gets the company's digest (team None) or a team's by e-mail."""
        return self.recipients if team is None else self.team_recipients.get(team_key(team), ())

    def configured(self) -> bool:
        """Whether the weekly digest has anywhere to go."""
        return bool(self.recipients or self.team_recipients or self.slack_channel or self.telegram_chat)


def team_key(team: str) -> str:
    """The suffix of a team's COACH_DIGEST_RECIPIENTS_<TEAM> variable: 'Costa Est' -> 'COSTA_EST'."""
    return re.sub(r"[^A-Z0-9]", "_", team.upper())


def load(environ: Mapping[str, str] | None = None) -> DigestSettings:
    if environ is None:
        from bot.settings import load as load_settings

        load_settings()  # reads .env into the environment
        environ = os.environ
    smtp = _smtp(environ)
    recipients = _addresses(environ, "COACH_DIGEST_RECIPIENTS")
    teams = {
        name[len(TEAM_RECIPIENTS) :]: _addresses(environ, name) for name in environ if name.startswith(TEAM_RECIPIENTS)
    }
    teams = {key: found for key, found in teams.items() if found}
    if (recipients or teams) and smtp is None:
        raise SettingsError("COACH_DIGEST_RECIPIENTS needs an SMTP server to send through: set SMTP_HOST and SMTP_FROM")
    return DigestSettings(
        day=_day(environ.get("COACH_DIGEST_DAY", "")),
        hour=_number(environ, "COACH_DIGEST_HOUR", 8, 0, 23),
        timezone=_timezone(environ.get("COACH_TIMEZONE", "")),
        language=_language(environ.get("COACH_DIGEST_LANGUAGE", "")),
        smtp=smtp,
        recipients=recipients,
        team_recipients=teams,
        slack_channel=_needs(environ, "COACH_DIGEST_SLACK_CHANNEL", "SLACK_BOT_TOKEN"),
        slack_token=environ.get("SLACK_BOT_TOKEN") or None,
        slack_api_url=environ.get("SLACK_API_BASE_URL") or None,
        telegram_chat=_telegram_chat(_needs(environ, "COACH_DIGEST_TELEGRAM_CHAT", "TELEGRAM_TOKEN")),
        telegram_token=environ.get("TELEGRAM_TOKEN") or None,
        telegram_api_url=environ.get("TELEGRAM_API_BASE_URL") or None,
    )


def _day(value: str) -> int:
    value = value.strip().lower()[:3] or "mon"
    if value not in DAYS:
        raise SettingsError(f"COACH_DIGEST_DAY must be one of {', '.join(DAYS)}, not {value!r}")
    return DAYS.index(value)


def _number(environ: Mapping[str, str], name: str, default: int, lowest: int, highest: int) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not lowest <= int(value) <= highest:
        raise SettingsError(f"{name} must be a whole number from {lowest} to {highest}, not {value!r}")
    return int(value)


def _timezone(value: str) -> zoneinfo.ZoneInfo:
    name = value.strip() or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"COACH_TIMEZONE must be a time zone name like Europe/Rome or UTC, not {name[:60]!r}"
        ) from None


def _language(value: str) -> str:
    language = value.strip().lower() or "en"
    if language not in LANGUAGES:
        raise SettingsError(f"COACH_DIGEST_LANGUAGE must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return language


def is_address(value: str) -> bool:
    """A plausible e-mail address: one @, something on each side, a dot in the domain, no
    spaces or header syntax (checked without a regex: linear whatever comes in)."""
    local, at, domain = value.partition("@")
    forbidden = set(" \t\r\n,;<>\"'()[]\\")
    return (
        bool(at and local and "." in domain.strip("."))
        and "@" not in domain
        and len(value) <= MAX_ADDRESS
        and not forbidden & set(value)
    )


def _addresses(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    found = tuple(part.strip() for part in environ.get(name, "").split(",") if part.strip())
    for address in found:
        if not is_address(address):
            raise SettingsError(f"{name}: {address[:80]!r} is not an e-mail address (comma-separated addresses)")
    return found


def _smtp(environ: Mapping[str, str]) -> Smtp | None:
    host = environ.get("SMTP_HOST", "").strip()
    if not host:
        return None
    sender = environ.get("SMTP_FROM", "").strip()
    if not is_address(sender):
        raise SettingsError(f"SMTP_FROM must be the digest's sender address, not {sender[:80]!r}")
    starttls = environ.get("SMTP_STARTTLS", "").strip().lower() not in ("0", "false", "no", "off")
    user = environ.get("SMTP_USER", "").strip() or None
    if user and not starttls and host not in LOCAL_HOSTS:
        raise SettingsError(
            "SMTP_PASSWORD would travel in clear: keep SMTP_STARTTLS=true for a server that is not this machine"
        )
    return Smtp(
        host=host,
        port=_number(environ, "SMTP_PORT", 587, 1, 65535),
        sender=sender,
        user=user,
        password=environ.get("SMTP_PASSWORD") or None,
        starttls=starttls,
    )


def _needs(environ: Mapping[str, str], name: str, token: str) -> str | None:
    value = environ.get(name, "").strip() or None
    if value and not environ.get(token):
        raise SettingsError(f"{name} is set but {token} is not: the digest is sent with the coach's own bot")
    return value


def _telegram_chat(value: str | None) -> str | None:
    """A chat id (-1001234567890) or a public channel's @name."""
    if value is None:
        return None
    if not (value.lstrip("-").isdigit() or (value.startswith("@") and value[1:].replace("_", "").isalnum())):
        raise SettingsError(
            f"COACH_DIGEST_TELEGRAM_CHAT must be a chat id like -1001234567890 or @channel, not {value[:60]!r}"
        )
    return value
