"""Login throttling: failed logins lock an account and a client address out for a while, and
only a few password checks run at once.

Each password check is an scrypt run (Werkzeug's default: about 32 MiB of memory), so
guessing costs the server as much as the guesser. After FREE_FAILURES failed logins an
account, or a client address, is locked out for LOCK_SECONDS, doubling with each further
failure up to MAX_LOCK_SECONDS; failures older than FORGET_AFTER_SECONDS are forgotten. A
login that is locked out is refused before any password check. A successful login clears
its account's failures but not its address's, so one valid account cannot reset the count
of an address that guesses at others. Locking accounts lets a guesser keep one person out
for at most MAX_LOCK_SECONDS at a time: the usual price of stopping the guessing.

The client address is the socket's peer, or behind the proxy named by COACH_DASHBOARD_PROXY
the client it forwards for (`server`); otherwise everyone behind a proxy shares one count.

The table is in memory, bounded (the oldest entries go first): one dashboard process
serves (`make run`, waitress threads), so there is no other process to share it with;
a restart forgets it, which costs a guesser's lock-out, not a secret.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

FREE_FAILURES = 5
LOCK_SECONDS = 30.0
MAX_LOCK_SECONDS = 15 * 60.0
MAX_DOUBLINGS = 16  # far past MAX_LOCK_SECONDS; keeps the power small
FORGET_AFTER_SECONDS = 24 * 3600.0
MAX_ENTRIES = 10_000
# Password checks at once; the others wait up to CHECK_WAIT_SECONDS, then are told to retry.
CONCURRENT_CHECKS = 2
CHECK_WAIT_SECONDS = 5.0


class BusyError(Exception):
    """Too many password checks already running."""


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
        checks: int = CONCURRENT_CHECKS,
        check_wait: float = CHECK_WAIT_SECONDS,
    ) -> None:
        self._clock = clock
        self._max_entries = max_entries
        self._check_wait = check_wait
        self._failures: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self._lock = threading.Lock()
        self._checks = threading.BoundedSemaphore(checks)

    def wait_seconds(self, username: str, address: str) -> float:
        """How long the account and the address are still locked out (0: a login may be tried)."""
        with self._lock:
            return max(self._remaining(key) for key in _keys(username, address))

    def failed(self, username: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in _keys(username, address):
                entry = self._failures.pop(key, None)
                if entry is None or now - entry.last > FORGET_AFTER_SECONDS:
                    entry = _Failures(0, now)
                entry.count += 1
                entry.last = now
                self._failures[key] = entry  # the most recent last
            while len(self._failures) > self._max_entries:
                self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(("account", username), None)

    @contextlib.contextmanager
    def password_check(self) -> Iterator[None]:
        """Holds one of the few places for a password check; raises BusyError if none frees up in time."""
        if not self._checks.acquire(timeout=self._check_wait):
            raise BusyError
        try:
            yield
        finally:
            self._checks.release()

    def _remaining(self, key: tuple[str, str]) -> float:
        entry = self._failures.get(key)
        if entry is None or entry.count < FREE_FAILURES:
            return 0.0
        doublings = min(entry.count - FREE_FAILURES, MAX_DOUBLINGS)
        lock = min(LOCK_SECONDS * 2**doublings, MAX_LOCK_SECONDS)
        return max(0.0, entry.last + lock - self._clock())


def _keys(username: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
    return ("account", username), ("address", address)
