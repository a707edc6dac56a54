"""A durable queue between the bot and the adoption log, so no message is lost.

Every record goes first into a local SQLite file (an append that takes a
fraction of a millisecond and survives a crash of the process), and a writer
thread delivers it to the log database in batches. If that database is down,
records wait on disk and are delivered, in order, when it is back. A batch is
removed from the outbox only after the database committed it; if the process
dies in between, the batch is delivered again and the log store ignores the
rows it already has (by `event_id`), so nothing is counted twice.

Two kinds of failure, two answers:
- the database is unreachable, restarting or locked (anything else): the items
  wait and the writer retries with back-off;
- the database refuses an item for its content (a value too long, a NUL, a missing
  field, an unreadable payload): the batch is split until the refused item is found,
  that item becomes a dead letter (LogStore.bury) and the rest is delivered. One
  bad row never stops the log.

The outbox is bounded (`max_rows`): when the database has been away so long that it
is full, new records are refused, counted in the outbox file and reported as an
ERROR, rather than filling the disk the conversations need; erasure requests are
always queued.

Erasure requests travel through the same queue, behind the records they erase.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import exc

from bot.adoption_log.records import clean_text, fit
from bot.adoption_log.store import LogRecord, LogStore, values
from bot.db import utc_now
from bot.settings import DEFAULT_OUTBOX_MAX_ROWS

logger = logging.getLogger(__name__)

RECORD = "record"
FORGET = "forget"
BATCH = 500
_REFUSED = "refused"  # records refused while the outbox was full
_LAST_DELIVERY = "last_delivery"


@dataclass(frozen=True)
class OutboxState:
    pending: int
    max_rows: int
    refused: int
    last_delivery: dt.datetime | None

    @property
    def fill(self) -> float:
        return self.pending / self.max_rows


def _encode(record: LogRecord) -> str:
    data = values(record)
    data["ts"] = record.ts.isoformat()
    return json.dumps(data, ensure_ascii=False)


def _decode(payload: str) -> LogRecord:
    data = json.loads(payload)
    data["ts"] = dt.datetime.fromisoformat(data["ts"])
    return LogRecord(**data)


def _decode_forget(payload: str) -> tuple[str, dt.datetime | None]:
    if not payload.startswith("{"):  # queued by an earlier version: the user id alone
        return payload, None
    data = json.loads(payload)
    return data["user_id"], dt.datetime.fromisoformat(data["at"])


class Outbox:
    def __init__(self, path: Path, max_rows: int = DEFAULT_OUTBOX_MAX_ROWS) -> None:
        self.path = Path(path)
        self.max_rows = max_rows
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._full = False  # this process said so already
        with self._connection() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT NOT NULL)"
            )
            db.execute("CREATE TABLE IF NOT EXISTS outbox_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)")

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
        """Queues the record, made storable first; refused (counted, reported) when the outbox is full."""
        if self._span() >= self.max_rows:
            self._refuse()
            return
        if self._full:
            self._full = False
            logger.warning("The adoption log outbox %s has room again; records are queued again", self.path)
        self._append(RECORD, _encode(fit(record)))

    def put_forget(self, user_id: str, at: dt.datetime | None = None) -> None:
        """Queues an erasure of what `user_id` said up to `at` (default: now); even when the outbox is full."""
        self._append(FORGET, json.dumps({"user_id": user_id, "at": (at or utc_now()).isoformat()}))

    def _append(self, kind: str, payload: str) -> None:
        with self._connection() as db:
            db.execute("INSERT INTO outbox (kind, payload) VALUES (?, ?)", (kind, payload))

    def _span(self) -> int:
        # Two lookups at the ends of the primary key, not a count: this runs on Rasa's event
        # loop for every event. Exact, because delivery only ever deletes from the front.
        query = "SELECT (SELECT max(seq) FROM outbox) - (SELECT min(seq) FROM outbox) + 1"
        return self._connection().execute(query).fetchone()[0] or 0

    def _refuse(self) -> None:
        with self._connection() as db:
            db.execute(
                "INSERT INTO outbox_state (name, value) VALUES (?, '1') "
                "ON CONFLICT(name) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                (_REFUSED,),
            )
        if not self._full:
            self._full = True
            logger.error(
                "The adoption log outbox %s is full (%d rows: the log database has been unreachable for long); "
                "new log rows are refused and counted until it drains (`coach log status`)",
                self.path,
                self.max_rows,
            )

    def pending(self) -> int:
        return self._connection().execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def state(self) -> OutboxState:
        values = dict(self._connection().execute("SELECT name, value FROM outbox_state").fetchall())
        last = values.get(_LAST_DELIVERY)
        return OutboxState(
            pending=self.pending(),
            max_rows=self.max_rows,
            refused=int(values.get(_REFUSED, 0)),
            last_delivery=dt.datetime.fromisoformat(last) if last else None,
        )

    def deliver(self, store: LogStore) -> int:
        """Deliver everything waiting, oldest first; returns the number of items delivered or buried.

        Raises what the database raises when it cannot be reached: what was not delivered stays queued.
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
            for run in _runs(items):
                _deliver(store, run.kind, run.payloads)
                with self._connection() as db:
                    db.execute("DELETE FROM outbox WHERE seq <= ?", (run.last_seq,))
                    db.execute(
                        "INSERT OR REPLACE INTO outbox_state (name, value) VALUES (?, ?)",
                        (_LAST_DELIVERY, utc_now().isoformat()),
                    )
            delivered += len(items)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


@dataclass
class _Run:
    """Consecutive items delivered together: records as one batch insert; an erasure stays in its place."""

    kind: str
    last_seq: int
    payloads: list[str]


def _runs(items: list[tuple[int, str, str]]) -> list[_Run]:
    runs: list[_Run] = []
    for seq, kind, payload in items:
        if kind == RECORD and runs and runs[-1].kind == RECORD:
            runs[-1].last_seq = seq
            runs[-1].payloads.append(payload)
        else:
            runs.append(_Run(kind, seq, [payload]))
    return runs


def _deliver(store: LogStore, kind: str, payloads: list[str]) -> None:
    """Delivers the payloads; halves the batch when the database refuses it, down to the refused item."""
    try:
        _apply(store, kind, payloads)
    except Exception as error:
        if not refused_for_content(error):
            raise
        if len(payloads) > 1:
            half = len(payloads) // 2
            _deliver(store, kind, payloads[:half])
            _deliver(store, kind, payloads[half:])
            return
        reason = _reason(error)
        store.bury(kind, _as_ascii_json(payloads[0]), reason, _user_of(kind, payloads[0]))
        logger.error(
            "The adoption log refused a %s (%s); it is kept as a dead letter (`coach log status`)", kind, reason
        )


def _apply(store: LogStore, kind: str, payloads: list[str]) -> None:
    if kind == RECORD:
        store.add([_decode(payload) for payload in payloads])
    elif kind == FORGET:
        [payload] = payloads
        store.forget(*_decode_forget(payload))
    else:
        raise ValueError(f"unknown outbox item kind {kind!r}")


def refused_for_content(error: Exception) -> bool:
    """True if the item itself is at fault (retrying it cannot help); False if the database is."""
    if isinstance(error, (exc.DataError, exc.IntegrityError)):
        return True
    if isinstance(error, exc.DBAPIError):  # unreachable, restarting, locked, out of space, no permission
        return False
    if isinstance(error, exc.StatementError):  # the driver refused a value before sending it (a NUL, a surrogate)
        return True
    return isinstance(error, (ValueError, TypeError, KeyError))  # the payload itself is unreadable


def _reason(error: Exception) -> str:
    # The driver's own first line: SQLAlchemy's message goes on with the statement's parameters (user text).
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return clean_text(f"{cause.__class__.__name__}: {lines[0] if lines else ''}")[:255]


def _as_ascii_json(payload: str) -> str:
    try:
        data: Any = json.loads(payload)
    except ValueError:
        data = payload
    return json.dumps(data, ensure_ascii=True)


def _user_of(kind: str, payload: str) -> str | None:
    """Whose item it is, so that an erasure also removes their dead letters."""
    try:
        user = _decode_forget(payload)[0] if kind == FORGET else json.loads(payload)["user_id"]
    except (ValueError, KeyError, TypeError):
        return None
    return clean_text(user)[:64] if isinstance(user, str) else None


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
        except Exception as error:  # the database, not a row: keep the rows, retry later
            if not self._failing:
                logger.warning(
                    "The adoption log database is unreachable or unusable (%s); %d rows wait in %s",
                    _reason(error),
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
            try:
                healthy = self.flush()
            except Exception:  # the outbox file itself (flush answers for the database): never end the thread
                logger.exception(
                    "The adoption log writer could not read its outbox %s; it tries again", self.outbox.path
                )
                healthy = False
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
