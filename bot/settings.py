"""Run-time settings, read from the environment or an untracked `.env` file.

One setting, DATABASE_URL, moves the coach from its embedded SQLite files to a
production database: the adoption log and Rasa's tracker store then share it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The languages the coach understands and answers in; the last (English) is the fallback
# when neither the text nor the user decides.
LANGUAGES: tuple[str, ...] = ("it", "es", "en")
VAR = PROJECT_ROOT / "var"
DEFAULT_RETENTION_DAYS = 180
DEFAULT_OUTBOX_MAX_ROWS = 100_000  # about 50 MB of disk (measured: ~500 bytes a row)
# The help contact is shown inside a chat reply: a name and an e-mail or a phone number.
MAX_HELP_CONTACT = 200


def _load_dotenv() -> None:
    # The environment wins over .env, so CI and deployments can override a developer's file.
    from dotenv import load_dotenv

    load_dotenv(PROJECT_ROOT / ".env", override=False)


class SettingsError(ValueError):
    pass


def _count(environ: Mapping[str, str], name: str, default: int, unit: str) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"{name} must be a whole number of {unit} (1 or more), not {value!r}")
    return int(value)


def _text(value: str | None, limit: int) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise SettingsError(
            f"COACH_HELP_CONTACT is {len(text)} characters; keep it under {limit} (a name and an address)"
        )
    return text or None


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _names(value: str | None) -> list[str]:
    return [part.strip().lower() for part in (value or "").split(",") if part.strip()]


def _chat_hosts(environ: Mapping[str, str]) -> frozenset[str]:
    """The names the chat is reached by: this machine's, COACH_HOST's (unless it listens on every
    interface) and COACH_ALLOWED_HOSTS (a comma-separated list, for a server reached by its name).
    A request to any other name, as a DNS-rebinding page makes, is refused."""
    listening = environ.get("COACH_HOST", "").strip().strip("[]").lower()
    configured = {listening} - {"", "0.0.0.0", "::"}
    return frozenset({"127.0.0.1", "localhost", "::1", *configured, *_names(environ.get("COACH_ALLOWED_HOSTS"))})


def _origins(value: str | None) -> frozenset[str]:
    """COACH_ALLOWED_ORIGINS: pages of another origin that may post to the web chat, such as
    https://coach.example.com in front of a proxy that rewrites the Host (the chat's own page always may)."""
    origins = frozenset(origin.rstrip("/") for origin in _names(value))
    for origin in origins:
        scheme, _, rest = origin.partition("://")
        if scheme not in ("http", "https") or not rest or "/" in rest:
            raise SettingsError(f"COACH_ALLOWED_ORIGINS takes origins like https://coach.example.com, not {origin!r}")
    return origins


@dataclass(frozen=True)
class Settings:
    log_db_url: str
    tracker_db_url: str
    store_text: bool
    retention_days: int
    secret_key: str | None
    secret_key_file: Path
    # Shared by the Rasa server and the connectors, which sign their requests with it (bot/channels/contract.py).
    connector_secret: str | None
    connector_secret_file: Path
    # Rasa's HTTP API token (`rasa run --auth-token`, bot/rasa_plugins/start.py) and the secret the
    # Rasa server sends the action server with each call (endpoints.yml, bot/rasa_plugins/patches.py).
    rasa_api_token: str | None
    rasa_api_token_file: Path
    actions_token: str | None
    actions_token_file: Path
    # The host names and page origins the chat doors take messages from (see _chat_hosts).
    chat_hosts: frozenset[str]
    chat_origins: frozenset[str]
    teams_file: Path
    outbox_file: Path
    # Log rows a replica keeps while the log database is away; beyond it new rows are refused (and counted).
    outbox_max_rows: int
    knowledge_dir: Path
    data_dir: Path
    help_contact: str | None
    # The dashboard is served over https (by a proxy in front of it): its session cookie is then
    # `Secure`. Off for the embedded plain-http server, where a Secure cookie would never come back.
    dashboard_https: bool
    # The address of the proxy in front of the dashboard, if any: its X-Forwarded-For names the client.
    dashboard_proxy: str | None


def load(environ: Mapping[str, str] | None = None) -> Settings:
    if environ is None:
        _load_dotenv()
        environ = os.environ
    database_url = environ.get("DATABASE_URL", "").strip()
    var = Path(environ.get("COACH_VAR_DIR", str(VAR)))
    return Settings(
        log_db_url=database_url or f"sqlite:///{var / 'coach.db'}",
        tracker_db_url=database_url or f"sqlite:///{var / 'tracker.db'}",
        store_text=_flag(environ.get("COACH_STORE_TEXT"), default=True),
        retention_days=_count(environ, "COACH_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, "days"),
        secret_key=environ.get("COACH_SECRET_KEY") or None,
        secret_key_file=Path(environ.get("COACH_SECRET_KEY_FILE", str(var / "secret.key"))),
        connector_secret=environ.get("COACH_CONNECTOR_SECRET") or None,
        connector_secret_file=Path(environ.get("COACH_CONNECTOR_SECRET_FILE", str(var / "connector.secret"))),
        rasa_api_token=environ.get("RASA_API_TOKEN") or None,
        rasa_api_token_file=var / "rasa_api.token",
        actions_token=environ.get("ACTIONS_TOKEN") or None,
        actions_token_file=var / "actions.token",
        chat_hosts=_chat_hosts(environ),
        chat_origins=_origins(environ.get("COACH_ALLOWED_ORIGINS")),
        teams_file=Path(environ.get("COACH_TEAMS_FILE", str(PROJECT_ROOT / "teams.yml"))),
        outbox_file=Path(environ.get("COACH_OUTBOX_FILE", str(var / "outbox.db"))),
        outbox_max_rows=_count(environ, "COACH_OUTBOX_MAX_ROWS", DEFAULT_OUTBOX_MAX_ROWS, "rows"),
        knowledge_dir=Path(environ.get("COACH_KNOWLEDGE_DIR", str(PROJECT_ROOT / "knowledge"))),
        data_dir=Path(environ.get("COACH_DATA_DIR", str(PROJECT_ROOT / "data"))),
        help_contact=_text(environ.get("COACH_HELP_CONTACT"), MAX_HELP_CONTACT),
        dashboard_https=_flag(environ.get("COACH_DASHBOARD_HTTPS"), default=False),
        dashboard_proxy=environ.get("COACH_DASHBOARD_PROXY", "").strip() or None,
    )
