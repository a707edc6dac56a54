import datetime as dt
import uuid

from sqlalchemy import inspect

from bot.adoption_log.store import LogRecord, LogStore


def record(user="p-aaa", ts=None, direction="user", **fields) -> LogRecord:
    return LogRecord(
        event_id=str(uuid.uuid4()),
        ts=ts or dt.datetime(2026, 11, 20, 9, 30),
        user_id=user,
        direction=direction,
        **fields,
    )


def test_migrations_create_the_schema_and_can_run_again(database_url):
    store = LogStore(database_url)
    store.migrate()
    store.migrate()
    tables = inspect(store.engine).get_table_names()
    assert "message_log" in tables and "alembic_version" in tables
    store.close()


def test_every_field_is_stored_as_given(database_url):
    store = LogStore(database_url)
    store.migrate()
    given = record(
        channel="telegram",
        team="north",
        language="it",
        text="non ho tempo",
        intent="objection_no_time",
        confidence=0.91,
        sentiment_label="negative",
        sentiment_score=-0.62,
        kb_entry=None,
        feedback=None,
    )
    store.add([given])
    assert list(store.records()) == [given]
    store.close()


def test_a_row_delivered_twice_is_stored_once(database_url):
    store = LogStore(database_url)
    store.migrate()
    batch = [record(), record()]
    assert store.add(batch) == 2
    assert store.add(batch + [record()]) == 1
    assert store.count() == 3
    store.close()


def test_records_since_a_date_in_time_order(database_url):
    store = LogStore(database_url)
    store.migrate()
    days = [dt.datetime(2026, 11, d, 12) for d in (21, 3, 15)]
    store.add([record(ts=day) for day in days])
    since = [r.ts.day for r in store.records(since=dt.datetime(2026, 11, 10))]
    assert since == [15, 21]
    store.close()


def test_forget_removes_only_that_users_rows(database_url):
    store = LogStore(database_url)
    store.migrate()
    store.add([record(user="p-a"), record(user="p-a"), record(user="p-b")])
    assert store.forget("p-a") == 2
    assert store.count("p-a") == 0 and store.count("p-b") == 1
    store.close()


def test_purge_removes_rows_older_than_the_cutoff(database_url):
    store = LogStore(database_url)
    store.migrate()
    store.add([record(ts=dt.datetime(2026, 1, 1)), record(ts=dt.datetime(2026, 11, 1))])
    assert store.purge(before=dt.datetime(2026, 6, 1)) == 1
    assert [r.ts.month for r in store.records()] == [11]
    store.close()


MIGRATE = "import sys; from bot.db import make_engine, migrate; migrate(make_engine(sys.argv[1]))"


def test_replicas_starting_together_on_a_new_database_all_migrate_it(database_url):
    """Two processes (replicas) and, inside one of them, two threads (the log writer and the replay
    table) bring the same new database to the schema at the same moment: none of them fails."""
    import subprocess
    import sys
    import threading

    from bot.db import make_engine, migrate

    processes = [subprocess.Popen([sys.executable, "-c", MIGRATE, database_url]) for _ in range(2)]
    failures: list[BaseException] = []

    def in_a_thread() -> None:
        try:
            migrate(make_engine(database_url))
        except BaseException as failure:
            failures.append(failure)

    threads = [threading.Thread(target=in_a_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    assert "used_signatures" in inspect(make_engine(database_url)).get_table_names()
