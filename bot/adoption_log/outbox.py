"""A durable queue between the bot and the adoption log, so no message is lost.

Every record goes first into a local SQLite file (an append that takes a
fraction of a millisecond and survives a crash of the process), and a writer
thread delivers it to the log database in batches. If that database is down,
records wait on disk and are delivered, in order, when it is back. A batch is
removed from the outbox only after the database committed it; if the process
dies in between, the batch is delivered again and the log store ignores the
rows it already has (by `event_id`), so nothing is counted twice.

Erasure requests travel through the same queue, behind the records they erase.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from bot.adoption_log.store import LogRecord, LogStore

logger = logging.getLogger(__name__)

RECORD = "record"
FORGET = "forget"
BATCH = 500


def _encode(record: LogRecord) -> str:
    data = asdict(record)
    data["ts"] = record.ts.isoformat()
    return json.dumps(data, ensure_ascii=False)


def _decode(payload: str) -> LogRecord:
    data = json.loads(payload)
    data["ts"] = dt.datetime.fromisoformat(data["ts"])
    return LogRecord(**data)


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connection() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT NOT NULL)"
            )

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30)
            # WAL + NORMAL: a committed append survives a crash of the process, at a tenth of the cost of FULL.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def put(self, record: LogRecord) -> None:
        self._append(RECORD, _encode(record))

    def put_forget(self, user_id: str) -> None:
        self._append(FORGET, user_id)

    def _append(self, kind: str, payload: str) -> None:
        with self._connection() as db:
            db.execute("INSERT INTO outbox (kind, payload) VALUES (?, ?)", (kind, payload))

    def pending(self) -> int:
        return self._connection().execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def deliver(self, store: LogStore) -> int:
        """Deliver everything waiting, oldest first; returns the number of items delivered.

        Raises whatever the database raises: what was not delivered stays queued.
        """
        delivered = 0
        while True:
            items = (
                self._connection()
                .execute("SELECT seq, kind, payload FROM outbox ORDER BY seq LIMIT ?", (BATCH,))
                .fetchall()
            )
            if not items:
                return delivered
            for last_seq, kind, data in _runs(items):
                _apply(store, kind, data)
                with self._connection() as db:
                    db.execute("DELETE FROM outbox WHERE seq <= ?", (last_seq,))
            delivered += len(items)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def _runs(items: list[tuple[int, str, str]]) -> list[list]:
    """[last seq, kind, data]: consecutive records become one batch insert; an erasure stays in its place."""
    runs: list[list] = []
    for seq, kind, payload in items:
        if kind == RECORD and runs and runs[-1][1] == RECORD:
            runs[-1][0] = seq
            runs[-1][2].append(_decode(payload))
        else:
            runs.append([seq, kind, [_decode(payload)] if kind == RECORD else payload])
    return runs


def _apply(store: LogStore, kind: str, data) -> None:
    if kind == RECORD:
        store.add(data)
    else:
        store.forget(data)


class OutboxWriter:
    """The thread that delivers the outbox to the log database, and runs a daily job (retention)."""

    def __init__(
        self,
        outbox: Outbox,
        store: LogStore,
        interval: float = 0.5,
        daily: Callable[[], object] | None = None,
    ) -> None:
        self.outbox, self.store, self.interval, self.daily = outbox, store, interval, daily
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._migrated = False
        self._last_daily: dt.date | None = None
        self._failing = False
        self._thread = threading.Thread(target=self._run, name="coach-log-writer", daemon=True)

    def start(self) -> OutboxWriter:
        self._thread.start()
        return self

    def flush(self) -> bool:
        """Deliver now, in the caller's thread; False if the database could not be reached."""
        try:
            if not self._migrated:
                self.store.migrate()
                self._migrated = True
            self.outbox.deliver(self.store)
        except Exception as error:  # any database failure: keep the rows, retry later
            if not self._failing:
                logger.warning(
                    "The adoption log database is unreachable (%s); %d rows wait in %s",
                    error.__class__.__name__,
                    self.outbox.pending(),
                    self.outbox.path,
                )
            self._failing = True
            return False
        if self._failing:
            logger.warning("The adoption log database is back; queued rows delivered.")
            self._failing = False
        return True

    def _run(self) -> None:
        backoff = self.interval
        while not self._stopping.is_set():
            self._wake.wait(backoff)
            self._wake.clear()
            healthy = self.flush()
            backoff = self.interval if healthy else min(backoff * 2, 30.0)
            if healthy:
                self._run_daily()

    def _run_daily(self) -> None:
        today = dt.date.today()
        if self.daily is None or self._last_daily == today:
            return
        self._last_daily = today
        try:
            self.daily()
        except Exception:
            logger.exception("The daily retention purge failed; it runs again tomorrow")

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.flush()
