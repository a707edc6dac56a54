"""The atomic Redis lock: one holder at a time per conversation, across processes' clients."""

import asyncio

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_plugins.lock_store import AtomicRedisLockStore
from tests.services import redis_unavailable, unavailable

pytestmark = pytest.mark.services


@pytest.fixture
def stores():
    reason = redis_unavailable()
    if reason:
        unavailable(reason, "the Redis service on 127.0.0.1:6379")
    config = EndpointConfig(url="127.0.0.1", port="6379", db="9", key_prefix="locktest")
    # Two stores, two Redis clients: as two replicas would be.
    return AtomicRedisLockStore(endpoint_config=config), AtomicRedisLockStore(endpoint_config=config)


def test_two_replicas_never_hold_the_same_conversation_at_once(stores):
    inside, overlaps, order = set(), [], []

    async def work(store, name):
        for _ in range(20):
            async with store.lock("conversation-1"):
                if inside:
                    overlaps.append(name)
                inside.add(name)
                await asyncio.sleep(0.002)
                order.append(name)
                inside.discard(name)

    async def both():
        await asyncio.gather(work(stores[0], "a"), work(stores[1], "b"))

    asyncio.run(both())
    assert overlaps == [] and len(order) == 40


def test_other_conversations_do_not_wait(stores):
    async def run():
        async with stores[0].lock("conversation-2"), stores[1].lock("conversation-3"):
            return True

    assert asyncio.run(run())


def test_a_lock_is_released_even_when_processing_fails(stores):
    async def failing():
        async with stores[0].lock("conversation-4"):
            raise ValueError("the action failed")

    with pytest.raises(ValueError):
        asyncio.run(failing())

    async def again():
        async with stores[1].lock("conversation-4"):
            return True

    assert asyncio.run(asyncio.wait_for(again(), timeout=2))
