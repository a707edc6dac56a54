"""The REST channel's memory of signatures already used (bot/channels/contract.py): each is
refused a second time for as long as it would be accepted, then forgotten; the memory is
bounded, and when full it refuses rather than forgets, so a flood cannot make room for a replay.
Over HTTP: tests/unit/channels/test_chat_doors.py and tests/system/test_identity.py."""

from __future__ import annotations

import pytest

from bot.channels import contract
from bot.channels.contract import WINDOW_SECONDS, ReplayCache, SignatureError

SECRET = b"the connectors' secret"
NOW = 1_800_000_000.0
BODY = b'{"sender": "42", "message": "ok", "metadata": {"channel": "telegram"}}'


def _check(headers: dict, replays: ReplayCache, now: float = NOW, body: bytes = BODY) -> bool:
    return contract.is_signed(
        SECRET, headers[contract.TIMESTAMP], headers[contract.SIGNATURE], body, now, headers[contract.NONCE], replays
    )


def test_a_signature_is_used_once_for_all_of_its_window():
    replays = ReplayCache()
    headers = contract.sign(SECRET, BODY, NOW)
    assert _check(headers, replays)
    for later in (0, 1, WINDOW_SECONDS):
        with pytest.raises(SignatureError, match="already received"):
            _check(headers, replays, NOW + later)
    with pytest.raises(SignatureError, match="5 minutes old"):
        _check(headers, replays, NOW + WINDOW_SECONDS + 1)


def test_signatures_are_forgotten_once_stale_so_the_memory_holds_one_window():
    replays = ReplayCache()
    for second in range(0, 2 * WINDOW_SECONDS, 10):
        assert _check(contract.sign(SECRET, BODY, NOW + second), replays, NOW + second)
        assert len(replays) <= WINDOW_SECONDS // 10 + 1


def test_a_full_memory_refuses_new_signatures_and_still_knows_the_old_ones():
    replays = ReplayCache(capacity=3)
    used = [contract.sign(SECRET, BODY, NOW) for _ in range(3)]
    assert all(_check(headers, replays) for headers in used)
    with pytest.raises(SignatureError, match="more than 3 signed requests in 5 minutes"):
        _check(contract.sign(SECRET, BODY, NOW), replays, NOW + 1)
    with pytest.raises(SignatureError, match="already received"):
        _check(used[0], replays, NOW + 1)
    assert _check(contract.sign(SECRET, BODY, NOW + WINDOW_SECONDS + 1), replays, NOW + WINDOW_SECONDS + 1)


def test_the_nonce_is_signed_and_without_a_signature_nothing_is_claimed():
    headers = contract.sign(SECRET, BODY, NOW)
    with pytest.raises(SignatureError, match="does not match"):
        _check({**headers, contract.NONCE: "f" * 32}, ReplayCache())
    assert contract.is_signed(SECRET, None, None, BODY, NOW, None, ReplayCache()) is False
