"""The signatures already used (bot/channels/replays.py), on SQLite and PostgreSQL: each is
refused a second time for as long as it would be accepted, by every replica that shares the
database, then deleted in bounded batches. Over HTTP: tests/unit/channels/test_chat_doors.py
and tests/system/test_identity.py."""

from __future__ import annotations

import threading

import pytest

from bot.channels import contract
from bot.channels.contract import WINDOW_SECONDS, SignatureError
from bot.channels.replays import KEPT_AFTER_EXPIRY, UsedSignatures

SECRET = b"the connectors' secret"
NOW = 1_800_000_000.0
BODY = b'{"sender": "42", "message": "ok", "metadata": {"channel": "telegram"}}'


@pytest.fixture
def used(database_url):
    store = UsedSignatures(database_url)
    yield store
    store.close()


def _take(headers: dict, used: UsedSignatures, now: float = NOW) -> None:
    signature = contract.verify(
        SECRET, headers[contract.TIMESTAMP], headers[contract.SIGNATURE], BODY, now, headers[contract.NONCE]
    )
    assert signature is not None
    used.use(signature, now)


def test_a_signature_is_used_once_for_all_of_its_window(used):
    headers = contract.sign(SECRET, BODY, NOW)
    _take(headers, used)
    for later in (0, 1, WINDOW_SECONDS):
        with pytest.raises(SignatureError, match="already received"):
            _take(headers, used, NOW + later)
    with pytest.raises(SignatureError, match="5 minutes old"):
        _take(headers, used, NOW + WINDOW_SECONDS + 1)


def test_a_replica_sharing_the_database_refuses_what_another_accepted(used, database_url):
    other_replica = UsedSignatures(database_url)  # its own engine and connections
    first, second = contract.sign(SECRET, BODY, NOW), contract.sign(SECRET, BODY, NOW)
    _take(first, used)
    with pytest.raises(SignatureError, match="already received"):
        _take(first, other_replica)
    _take(second, other_replica)
    with pytest.raises(SignatureError, match="already received"):
        _take(second, used)
    other_replica.close()


def test_the_same_request_at_four_replicas_at_once_passes_at_one(migrated_log, database_url):
    replicas = [UsedSignatures(database_url) for _ in range(4)]
    headers = contract.sign(SECRET, BODY, NOW)
    start = threading.Barrier(len(replicas))
    outcomes: list[str] = []

    def take(replica: UsedSignatures) -> None:
        start.wait()
        try:
            _take(headers, replica)
            outcomes.append("accepted")
        except SignatureError:
            outcomes.append("refused")

    threads = [threading.Thread(target=take, args=(replica,)) for replica in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted", "refused", "refused", "refused"]
    for replica in replicas:
        replica.close()


def test_stale_signatures_are_deleted_a_bounded_batch_at_a_time(database_url):
    used = UsedSignatures(database_url, purge_batch=3)
    for _ in range(7):
        _take(contract.sign(SECRET, BODY, NOW), used)
    # Stale, but kept for a replica whose clock is behind.
    stale_here = NOW + WINDOW_SECONDS + KEPT_AFTER_EXPIRY
    _take(contract.sign(SECRET, BODY, stale_here), used, stale_here)
    assert used.count() == 8
    later = stale_here + 1
    _take(contract.sign(SECRET, BODY, later), used, later)
    assert used.count() == 8 - 3 + 1
    for _ in range(2):
        _take(contract.sign(SECRET, BODY, later), used, later)
    assert used.count() == 1 + 3, "the seven stale ones gone, in batches of three; the recent ones kept"
    used.close()


def test_while_the_database_is_unreachable_a_replica_takes_each_signature_once_in_memory():
    nowhere = UsedSignatures("postgresql://coach@127.0.0.1:9/nowhere", offline_capacity=2)
    first, second = contract.sign(SECRET, BODY, NOW), contract.sign(SECRET, BODY, NOW)
    _take(first, nowhere)
    with pytest.raises(SignatureError, match="already received"):
        _take(first, nowhere)
    _take(second, nowhere)
    with pytest.raises(SignatureError, match="too many"):
        _take(contract.sign(SECRET, BODY, NOW), nowhere)
    later = NOW + WINDOW_SECONDS + 1
    _take(contract.sign(SECRET, BODY, later), nowhere, later)  # the stale ones made room
    nowhere.close()


def test_what_was_taken_in_memory_during_an_outage_stays_taken_when_the_database_is_back(database_url):
    store = UsedSignatures(database_url)
    during_outage = contract.sign(SECRET, BODY, NOW)
    store.engine.dispose()
    reachable, store.engine = store.engine, UsedSignatures("postgresql://coach@127.0.0.1:9/nowhere").engine
    _take(during_outage, store)
    store.engine = reachable
    with pytest.raises(SignatureError, match="already received"):
        _take(during_outage, store)
    store.close()


def test_the_nonce_is_signed_and_without_a_signature_nothing_is_claimed():
    headers = contract.sign(SECRET, BODY, NOW)
    with pytest.raises(SignatureError, match="does not match"):
        contract.verify(SECRET, headers[contract.TIMESTAMP], headers[contract.SIGNATURE], BODY, NOW, "f" * 32)
    assert contract.verify(SECRET, None, None, BODY, NOW, None) is None
