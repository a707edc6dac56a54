"""What the coach's REST channel and its clients agree on: how much of a request is read,
and how the REST channel tells the coach's own connectors from any other client.

Size: a body of at most 64 KB, of whose message the first 4,256 characters are read
(4,000 kept after the redaction, which needs a little more to blank what the cut would
split); a connector sends no more than that, so a long Slack message is answered and
logged, never refused.

Identity: only a connector may speak for a Telegram or Slack account: anyone else who can
reach the REST channel could otherwise claim someone's platform id and read or erase that
person's conversation. A connector signs each request with a secret it shares with the
Rasa server (COACH_CONNECTOR_SECRET, else var/connector.secret, generated owner-only on
first use; `make run`'s processes share var/): an HMAC-SHA256 of the timestamp and the
exact body, in two headers. A signature older than five minutes is refused, so a
captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from bot.privacy.pseudonyms import load_key
from bot.settings import Settings

MAX_BODY = 64 * 1024
MAX_MESSAGE_CHARS = 4000
# Longer than any e-mail, IBAN, card, phone or id the redaction blanks: cutting this far past
# what is kept never leaves the kept part of such a datum unblanked.
REDACTION_MARGIN = 256

TIMESTAMP = "X-Coach-Timestamp"
SIGNATURE = "X-Coach-Signature"
WINDOW_SECONDS = 300
_MAX_TIMESTAMP_DIGITS = 12


def read_part(text: str) -> str:
    """The part of a message the REST channel reads (and so the most a connector sends): in JSON,
    however escaped, it stays far under MAX_BODY."""
    return text[: MAX_MESSAGE_CHARS + REDACTION_MARGIN]


class SignatureError(ValueError):
    """A request that claims to come from a connector and does not prove it."""


def load_secret(current: Settings) -> bytes:
    return load_key(current.connector_secret, current.connector_secret_file)


def _mac(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers that prove `body` comes from a connector."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP: timestamp, SIGNATURE: _mac(secret, timestamp, body)}


def is_signed(
    secret: bytes, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None
) -> bool:
    """False for a request without a signature; True for a good one; SignatureError for a bad or stale one."""
    if timestamp is None and signature is None:
        return False
    if not timestamp or not signature:
        raise SignatureError(f"a signed request needs both {TIMESTAMP} and {SIGNATURE}")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        raise SignatureError(f"{TIMESTAMP} must be the time in whole seconds since 1970")
    if abs((time.time() if now is None else now) - int(timestamp)) > WINDOW_SECONDS:
        raise SignatureError(f"the signature is more than {WINDOW_SECONDS // 60} minutes old or ahead")
    if not hmac.compare_digest(
        _mac(secret, timestamp, body).encode(), signature.strip().lower().encode("utf-8", "replace")
    ):
        raise SignatureError("the signature does not match the request")
    return True
