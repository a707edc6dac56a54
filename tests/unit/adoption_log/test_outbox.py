"""Nothing lost: rows wait on disk while the log database is down, and arrive once, in order."""

import datetime as dt
import shutil
import sqlite3
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.adoption_log.outbox import Outbox, OutboxWriter
from bot.adoption_log.store import LogStore
from tests.databases import TcpProxy, through_proxy
from tests.unit.adoption_log.test_store import record


def _wait_for(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_rows_written_during_an_outage_arrive_when_the_database_is_back(postgres_url, tmp_path, caplog):
    target = make_url(postgres_url)
    proxy = TcpProxy(target.host, target.port or 5432).start()
    url = through_proxy(postgres_url, proxy)
    outbox = Outbox(tmp_path / "outbox.db")
    writer = OutboxWriter(outbox, LogStore(url), interval=0.05).start()
    sent = []

    def send(n):
        for _ in range(n):
            sent.append(record())
            outbox.put(sent[-1])

    checker = LogStore(postgres_url)
    send(10)
    assert _wait_for(lambda: outbox.pending() == 0)
    proxy.stop()  # the database goes away, open connections included
    send(15)
    assert _wait_for(lambda: "unreachable" in caplog.text)  # the writer tried, and failed
    assert outbox.pending() >= 15, "rows must wait while the database is unreachable"
    assert Outbox(tmp_path / "outbox.db").pending() >= 15, "and they are on disk, not only in memory"
    proxy.start()
    send(5)
    assert _wait_for(lambda: checker.count() == 30)
    writer.stop()
    stored = list(checker.records())
    assert sorted(r.event_id for r in stored) == sorted(r.event_id for r in sent)
    assert outbox.pending() == 0
    assert "unreachable" in caplog.text and "is back" in caplog.text
    checker.close()
    proxy.stop()


def test_a_dead_database_then_a_live_one_loses_and_doubles_nothing(tmp_path):
    outbox = Outbox(tmp_path / "outbox.db")
    dead = OutboxWriter(outbox, LogStore("postgresql://coach@127.0.0.1:9/nowhere"))
    sent = [record() for _ in range(40)]
    for row in sent:
        outbox.put(row)
    assert dead.flush() is False
    assert outbox.pending() == 40
    live_store = LogStore(f"sqlite:///{tmp_path / 'coach.db'}")
    assert OutboxWriter(Outbox(tmp_path / "outbox.db"), live_store).flush() is True
    assert live_store.count() == 40
    assert {r.event_id for r in live_store.records()} == {r.event_id for r in sent}


def test_a_crash_after_the_commit_and_before_the_outbox_was_cleared_counts_nothing_twice(database_url, tmp_path):
    path = tmp_path / "outbox.db"
    outbox = Outbox(path)
    store = LogStore(database_url)
    store.migrate()
    for _ in range(7):
        outbox.put(record())
    outbox.close()
    shutil.copy(path, tmp_path / "before.db")
    Outbox(path).deliver(store)
    # The process died before deleting the delivered rows: the outbox still holds them.
    revived = Outbox(_restore(tmp_path / "before.db", path))
    assert revived.pending() == 7
    revived.deliver(store)
    assert store.count() == 7
    store.close()


def _restore(copy: Path, path: Path) -> Path:
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(copy, path)
    return path


def test_an_erasure_waits_behind_the_rows_it_erases(database_url, tmp_path):
    outbox = Outbox(tmp_path / "outbox.db")
    store = LogStore(database_url)
    store.migrate()
    asked = dt.datetime(2026, 11, 20, 10, 0)
    outbox.put(record(user="p-a", ts=asked - dt.timedelta(minutes=1)))
    outbox.put(record(user="p-b", ts=asked - dt.timedelta(minutes=1)))
    outbox.put_forget("p-a", at=asked)
    outbox.put(record(user="p-a", ts=asked + dt.timedelta(minutes=1)))  # wrote again after forgetting: kept
    outbox.deliver(store)
    assert store.count("p-a") == 1 and store.count("p-b") == 1
    store.close()


class _FailingDisk(Outbox):
    """An outbox whose file fails a few reads (a full or failing disk), then recovers."""

    failures = 3

    def deliver(self, store):
        self._fail()
        return super().deliver(store)

    def pending(self):
        self._fail()
        return super().pending()

    def _fail(self):
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("disk I/O error")


def test_the_writer_outlives_a_failing_outbox_file_and_delivers_once_it_recovers(tmp_path, caplog):
    outbox = _FailingDisk(tmp_path / "outbox.db")
    store = LogStore(f"sqlite:///{tmp_path / 'coach.db'}")
    store.migrate()
    sent = record()
    outbox.put(sent)
    writer = OutboxWriter(outbox, store, interval=0.05).start()
    try:
        assert _wait_for(lambda: store.count() == 1, seconds=20), "the writer stopped delivering"
    finally:
        writer.stop()
    assert [r.event_id for r in store.records()] == [sent.event_id]
    assert "disk I/O error" in caplog.text
