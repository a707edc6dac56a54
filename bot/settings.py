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
# The help contact is shown inside a chat reply: a name and an e-mail or a phone number.
MAX_HELP_CONTACT = 200


def _load_dotenv() -> None:
    # The environment wins over .env, so CI and deployments can override a developer's file.
    from dotenv import load_dotenv

    load_dotenv(PROJECT_ROOT / ".env", override=False)


class SettingsError(ValueError):
    pass


def _days(value: str) -> int:
    if not value:
        return DEFAULT_RETENTION_DAYS
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"COACH_RETENTION_DAYS must be a whole number of days (1 or more), not {value!r}")
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


@dataclass(frozen=True)
class Settings:
    log_db_url: str
    tracker_db_url: str
    store_text: bool
    retention_days: int
    secret_key: str | None
    secret_key_file: Path
    teams_file: Path
    outbox_file: Path
    knowledge_dir: Path
    data_dir: Path
    help_contact: str | None


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
        retention_days=_days(environ.get("COACH_RETENTION_DAYS", "").strip()),
        secret_key=environ.get("COACH_SECRET_KEY") or None,
        secret_key_file=Path(environ.get("COACH_SECRET_KEY_FILE", str(var / "secret.key"))),
        teams_file=Path(environ.get("COACH_TEAMS_FILE", str(PROJECT_ROOT / "teams.yml"))),
        outbox_file=Path(environ.get("COACH_OUTBOX_FILE", str(var / "outbox.db"))),
        knowledge_dir=Path(environ.get("COACH_KNOWLEDGE_DIR", str(PROJECT_ROOT / "knowledge"))),
        data_dir=Path(environ.get("COACH_DATA_DIR", str(PROJECT_ROOT / "data"))),
        help_contact=_text(environ.get("COACH_HELP_CONTACT"), MAX_HELP_CONTACT),
    )
