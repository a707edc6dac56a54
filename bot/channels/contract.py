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
request's one-off nonce and the exact body, in three headers. A signature more than five
minutes old (or ahead) is refused, so a captured request cannot be replayed later; one
already accepted is refused within those five minutes too, so it cannot be replayed sooner
either. The nonce makes every request's signature new, even the same text from the same
person twice in one second; so a connector that sends again (a retry) signs again, as
`sign` does on every call.

`verify` checks a request and returns its `Signature`; the REST channel then takes it once
in the table of used signatures (bot/channels/replays.py), which is in the adoption log's
database: every Rasa replica sharing that database refuses a signature any of them accepted
(SQLite by default, PostgreSQL behind a load balancer; deploy/README.md). Only a request
whose signature holds is written there, so no one without the secret adds to it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from bot.privacy.pseudonyms import load_key
from bot.settings import Settings

MAX_BODY = 64 * 1024
MAX_MESSAGE_CHARS = 4000
# Longer than any e-mail, IBAN, card, phone or id the redaction blanks: cutting this far past
# what is kept never leaves the kept part of such a datum unblanked.
REDACTION_MARGIN = 256

TIMESTAMP = "X-Coach-Timestamp"
SIGNATURE = "X-Coach-Signature"
NONCE = "X-Coach-Nonce"
WINDOW_SECONDS = 300
_MAX_TIMESTAMP_DIGITS = 12
_NONCE = re.compile(r"^[0-9a-f]{32}$")


def read_part(text: str) -> str:
    """The part of a message the REST channel reads (and so the most a connector sends): in JSON,
    however escaped, it stays far under MAX_BODY."""
    return text[: MAX_MESSAGE_CHARS + REDACTION_MARGIN]


class SignatureError(ValueError):
    """A request that claims to come from a connector and does not prove it."""


def load_secret(current: Settings) -> bytes:
    return load_key(current.connector_secret, current.connector_secret_file)


def _mac(secret: bytes, timestamp: str, nonce: str, body: bytes) -> str:
    signed = timestamp.encode("ascii") + b"." + nonce.encode("ascii") + b"." + body
    return hmac.new(secret, signed, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers that prove `body` comes from a connector: new ones on every call, so a
    message sent again is signed again (the REST channel accepts a signature once)."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_hex(16)
    return {TIMESTAMP: timestamp, NONCE: nonce, SIGNATURE: _mac(secret, timestamp, nonce, body)}


@dataclass(frozen=True)
class Signature:
    """A signature that holds: the MAC (what a replay repeats) and when it goes stale (seconds since 1970)."""

    mac: str
    expires_at: int


def verify(
    secret: bytes,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float | None = None,
    nonce: str | None = None,
) -> Signature | None:
    """None for a request without a signature; its Signature for a good one (which the caller
    takes once: bot/channels/replays.py); SignatureError for a bad or stale one."""
    if timestamp is None and signature is None and nonce is None:
        return None
    if not timestamp or not signature or not nonce:
        raise SignatureError(f"a signed request needs {TIMESTAMP}, {NONCE} and {SIGNATURE}")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        raise SignatureError(f"{TIMESTAMP} must be the time in whole seconds since 1970")
    if not _NONCE.match(nonce):
        raise SignatureError(f"{NONCE} must be 32 lower-case hexadecimal digits")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > WINDOW_SECONDS:
        raise SignatureError(f"the signature is more than {WINDOW_SECONDS // 60} minutes old or ahead")
    expected = _mac(secret, timestamp, nonce, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode("utf-8", "replace")):
        raise SignatureError("the signature does not match the request")
    return Signature(expected, int(timestamp) + WINDOW_SECONDS)
