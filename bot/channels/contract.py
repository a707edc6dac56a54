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
already accepted is refused within those five minutes too (`ReplayCache`), so it cannot be
replayed sooner either. The nonce makes every request's signature new, even the same text
from the same person twice in one second; so a connector that sends again (a retry) signs
again, as `sign` does on every call.

The replay cache is in the Rasa server's memory: replicas behind a load balancer each keep
their own (deploy/README.md says what that means). Only a request whose signature holds is
remembered, so no one without the secret can fill it; when it is full anyway (more signed
requests in five minutes than it holds), signed requests are refused until entries expire,
rather than forgetting one early and letting it be replayed.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import re
import secrets
import threading
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
NONCE = "X-Coach-Nonce"
WINDOW_SECONDS = 300
_MAX_TIMESTAMP_DIGITS = 12
_NONCE = re.compile(r"^[0-9a-f]{32}$")
# About 330 signed messages a second for five minutes: far more than the connectors send.
MAX_REMEMBERED = 100_000


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


class ReplayCache:
    """The signatures accepted in the last window, each until it would be stale anyway; bounded
    by `capacity`, and refusing (not forgetting an entry early) when full. Thread-safe."""

    def __init__(self, capacity: int = MAX_REMEMBERED, window: int = WINDOW_SECONDS) -> None:
        self.capacity, self.window = capacity, window
        self._expiries: list[tuple[float, str]] = []  # a heap: the next to expire first
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def use(self, signature: str, timestamp: int, now: float | None = None) -> None:
        """Remembers a signature on its first use; SignatureError on its second, or when full."""
        now = time.time() if now is None else now
        with self._lock:
            while self._expiries and self._expiries[0][0] < now:
                self._seen.discard(heapq.heappop(self._expiries)[1])
            if signature in self._seen:
                raise SignatureError("this signed request was already received: a signature is used once")
            if len(self._seen) >= self.capacity:
                raise SignatureError(
                    f"more than {self.capacity} signed requests in {self.window // 60} minutes; send it again shortly"
                )
            self._seen.add(signature)
            heapq.heappush(self._expiries, (timestamp + self.window, signature))


# The Rasa server's one cache: a request refused at one chat door is refused at the other too.
REPLAYS = ReplayCache()


def is_signed(
    secret: bytes,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float | None = None,
    nonce: str | None = None,
    replays: ReplayCache | None = None,
) -> bool:
    """False for a request without a signature; True for a good one (remembered in `replays`, if
    given, which refuses it the next time); SignatureError for a bad, stale or replayed one."""
    if timestamp is None and signature is None and nonce is None:
        return False
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
    if replays is not None:
        replays.use(expected, int(timestamp), now)
    return True
