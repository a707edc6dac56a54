"""A Redis lock store whose lock is atomic across replicas.

Rasa 3.6's RedisLockStore keeps a ticket list in one Redis key and updates it by
read-modify-write: two replicas that receive messages of the same conversation at the
same moment can both read "no ticket", both write ticket 0, and both process at once,
interleaving the conversation (tests/test_replicas.py caught it). Here the lock is a
single `SET key token NX PX lifetime`, atomic in Redis, released only by its holder
(compare-and-delete in Lua). Waiting is a short poll, not Rasa's one-second sleep.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

POLL_SECONDS = 0.01
WAIT_LIMIT_SECONDS = 60.0
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs) -> None:
        if endpoint_config is not None:  # as Rasa creates a custom lock store from endpoints.yml
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
            kwargs["port"] = int(kwargs.get("port", 6379))
            kwargs["db"] = int(kwargs.get("db", 1))
        super().__init__(**kwargs)
        self._release = self.red.register_script(_RELEASE)

    def _mutex(self, conversation_id: str) -> str:
        return f"{self.key_prefix}{conversation_id}:mutex"

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = POLL_SECONDS
    ) -> AsyncGenerator[TicketLock, None]:
        key, token = self._mutex(conversation_id), uuid.uuid4().hex
        deadline = time.monotonic() + WAIT_LIMIT_SECONDS
        while not self.red.set(key, token, nx=True, px=int(lock_lifetime * 1000)):
            if time.monotonic() > deadline:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            await asyncio.sleep(POLL_SECONDS)
        try:
            yield TicketLock(conversation_id)
        finally:
            self._release(keys=[key], args=[token])
