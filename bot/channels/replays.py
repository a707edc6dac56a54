"""The connectors' signatures the REST channel accepted, in the adoption log's database, so
that every Rasa replica of one database refuses a signature any of them accepted.

A signed request is good for five minutes (bot/channels/contract.py); a copy of it, captured
on its way to one replica, must not pass at another. So each accepted signature is a row of
`used_signatures` (migration 0011): its key is the signature, and the insert that takes it
either adds the row or, when the key is there already, adds nothing, which is the replay;
one statement, atomic in SQLite and PostgreSQL alike, also when two replicas get the same
request at the same moment (the second waits for the first's commit, then finds the key).

Rows are deleted once stale, a bounded batch at each insert, so that the work per request
stays small while the table keeps up with any rate (each insert adds one row and removes up
to PURGE_BATCH). A row outlives its signature's window by one more window: a replica whose
clock is behind another's (by up to five minutes) still finds what the other accepted.

No capacity is needed, unlike the memory this replaced (which refused signed requests when
full rather than forget one early): rows take disk, not a process's memory; only a signature
that holds is written, so nobody without the connectors' secret adds any; and at most two
windows' worth of the connectors' own traffic is kept.

While the database cannot be reached, the replica remembers the signatures it takes in its own
memory instead (bounded: past OFFLINE_CAPACITY it refuses signed requests rather than forget one
early): salespeople keep being answered through an outage, as the adoption log's outbox keeps
their messages, and a copy is still refused at this replica. Only a copy replayed at another
replica during the outage could pass, which deploy/README.md states.

Every call blocks on the database: the REST channel runs it in a worker thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from sqlalchemy import Column, DateTime, String, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.contract import WINDOW_SECONDS, Signature, SignatureError
from bot.db import Base, insert_ignoring_duplicates, make_engine, migrate, to_utc

logger = logging.getLogger(__name__)
PURGE_BATCH = 100
# Signatures one replica keeps in memory while the database is unreachable: connectors send far fewer
# messages in a five-minute window; a flood beyond it is refused, never let through unchecked.
OFFLINE_CAPACITY = 50_000
# How long a row is kept past its signature's expiry: the clock difference between replicas tolerated.
KEPT_AFTER_EXPIRY = WINDOW_SECONDS
# One migration per store, however many requests arrive together on a new database.
_MIGRATING = threading.Lock()


ALREADY_USED = "this signed request was already received: a signature is used once"


class UsedSignatureRow(Base):
    __tablename__ = "used_signatures"

    signature = Column(String(64), primary_key=True)  # HMAC-SHA256, hexadecimal
    expires_at = Column(DateTime, nullable=False, index=True)  # UTC: from then on the signature is stale


class UsedSignatures:
    """`use` takes a signature once for all the replicas sharing `url`'s database. Thread-safe."""

    def __init__(self, url: str, purge_batch: int = PURGE_BATCH, offline_capacity: int = OFFLINE_CAPACITY) -> None:
        self.engine: Engine = make_engine(url)
        self.purge_batch = purge_batch
        self.offline_capacity = offline_capacity
        self._migrated = False
        # Signature -> when it goes stale, in the order taken, for as long as the database was unreachable.
        self._offline: OrderedDict[str, float] = OrderedDict()
        self._offline_lock = threading.Lock()

    def use(self, signature: Signature, now: float | None = None) -> None:
        """Takes `signature`; SignatureError if it was taken before (here, or at a replica sharing the
        database), or if the database is unreachable and the memory kept meanwhile is full."""
        now = time.time() if now is None else now
        try:
            self._use_in_database(signature, now)
        except SQLAlchemyError as failure:
            logger.warning("Used signatures kept in memory: the database failed (%s)", type(failure).__name__)
            self._use_in_memory(signature, now)

    def _use_in_database(self, signature: Signature, now: float) -> None:
        self._migrate()
        table = UsedSignatureRow.__table__
        with self.engine.begin() as connection:
            taken = connection.execute(
                insert_ignoring_duplicates(self.engine, table, ["signature"]),
                {"signature": signature.mac, "expires_at": to_utc(signature.expires_at)},
            ).rowcount
            # Rows another replica is deleting right now are skipped (PostgreSQL), not waited for.
            stale = (
                select(table.c.signature)
                .where(table.c.expires_at < to_utc(now - KEPT_AFTER_EXPIRY))
                .limit(self.purge_batch)
                .with_for_update(skip_locked=True)
            )
            connection.execute(delete(table).where(table.c.signature.in_(stale)))
        if taken == 0 or self._taken_offline(signature.mac, now):
            raise SignatureError(ALREADY_USED)

    def _taken_offline(self, mac: str, now: float) -> bool:
        """Whether `mac` was taken in memory while the database was unreachable, and not stale since."""
        with self._offline_lock:
            self._forget_stale_offline(now)
            return mac in self._offline

    def _use_in_memory(self, signature: Signature, now: float) -> None:
        with self._offline_lock:  # the check and the taking at once: two copies at the same moment, one passes
            self._forget_stale_offline(now)
            if signature.mac in self._offline:
                raise SignatureError(ALREADY_USED)
            if len(self._offline) >= self.offline_capacity:
                raise SignatureError(
                    "too many signed requests while the database is unreachable; send it again shortly"
                )
            self._offline[signature.mac] = signature.expires_at

    def _forget_stale_offline(self, now: float) -> None:
        while self._offline and next(iter(self._offline.values())) < now:
            self._offline.popitem(last=False)  # every signature has the same window: the oldest first

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(UsedSignatureRow)).scalar_one()

    def _migrate(self) -> None:
        # A new database gets its tables at the first signed request, as the log writer does;
        # a failure is tried again at the next one.
        with _MIGRATING:
            if not self._migrated:
                migrate(self.engine)
                self._migrated = True

    def close(self) -> None:
        self.engine.dispose()
