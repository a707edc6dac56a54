"""One odd message never stops the log: the door cleans what it can, the database's refusals
become dead letters while the rest of the batch is delivered, and the outbox is bounded."""

import json
import logging
import sqlite3

import pytest

from bot.adoption_log.outbox import Outbox, OutboxWriter
from bot.adoption_log.records import TEXT_LIMIT, EventLog
from bot.adoption_log.store import LogStore
from tests.unit.adoption_log.test_records import KEY, objection, published
from tests.unit.adoption_log.test_store import record

BAD_INPUTS = {
    "nul": ({"text": "no\x00 time"}, {"text": "no time"}),
    "controls": ({"text": "\x1b[31mred\x07\r\n\tok\x7f"}, {"text": "[31mred\n\tok\x7f"}),
    "lone surrogate": (
        {"text": "bad \ud800 half", "team": "n\udfffrth"},
        {"text": "bad \ufffd half", "team": "n\ufffdrth"},
    ),
    "long team": ({"team": "t" * 70}, {"team": "t" * 64}),
    "long fields": (
        {"channel": "c" * 40, "language": "italiano", "intent": "i" * 80, "kb_entry": "k" * 80, "feedback": "f" * 20},
        {"channel": "c" * 32, "language": "italiano", "intent": "i" * 64, "kb_entry": "k" * 64, "feedback": "f" * 16},
    ),
    "huge text": ({"text": "x" * (TEXT_LIMIT + 5)}, {"text": "x" * TEXT_LIMIT}),
    "not text": ({"intent": {"name": "x"}, "team": 7}, {"intent": "{'name': 'x'}", "team": "7"}),
    "not numbers": ({"confidence": "high", "sentiment_score": [1]}, {"confidence": None, "sentiment_score": None}),
}


@pytest.fixture
def store(migrated_log):
    return migrated_log


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_each_bad_input_is_cleaned_at_the_door_and_stored(store, tmp_path, case):
    given, expected = BAD_INPUTS[case]
    outbox = Outbox(tmp_path / "outbox.db")
    bad, good = record(**given), record()
    outbox.put(bad)
    outbox.put(good)
    outbox.deliver(store)
    stored = {r.event_id: r for r in store.records()}
    assert set(stored) == {bad.event_id, good.event_id}
    assert {name: getattr(stored[bad.event_id], name) for name in expected} == expected
    assert store.dead_letter_count() == 0


def test_a_hostile_chat_message_reaches_the_log_through_the_broker_path(store, tmp_path):
    log = EventLog(KEY, store_text=True)
    event = published(objection(text="ciao\x00 \ud83d mario@example.it", team="x" * 100))
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.put(log.record(event))
    outbox.deliver(store)
    [row] = store.records()
    assert (row.text, row.team) == ("ciao \ufffd [email]", "x" * 64)


def _queue_raw(outbox, kind, payload):
    """An item as an earlier version (or a damaged file) left it, past the door."""
    with sqlite3.connect(outbox.path) as db:
        db.execute("INSERT INTO outbox (kind, payload) VALUES (?, ?)", (kind, payload))


def _raw_record(**fields):
    data = {**record().__dict__, **fields}
    data["ts"] = data["ts"].isoformat()
    return data


def test_rows_the_database_refuses_become_dead_letters_and_the_rest_is_delivered(store, tmp_path, caplog):
    outbox = Outbox(tmp_path / "outbox.db")
    sent = [record(intent=f"i{n}") for n in range(20)]
    for n, row in enumerate(sent):
        outbox.put(row)
        if n == 6:
            outbox.put(record(direction=None))  # NOT NULL: refused by both databases
        if n == 12:
            _queue_raw(outbox, "record", "{not json")
        if n == 15:
            _queue_raw(outbox, "record", json.dumps(_raw_record(unknown_field=1)))
    with caplog.at_level(logging.ERROR):
        assert OutboxWriter(outbox, store).flush() is True
    assert outbox.pending() == 0
    assert sorted(r.event_id for r in store.records()) == sorted(r.event_id for r in sent)
    letters = store.dead_letters()
    assert len(letters) == 3 == store.dead_letter_count()
    reasons = " ".join(letter.reason for letter in letters)
    assert "JSONDecodeError" in reasons and "unknown_field" in reasons and "direction" in reasons.lower()
    assert {letter.kind for letter in letters} == {"record"}
    assert "kept as a dead letter" in caplog.text
    outbox.put(record())  # and the log goes on
    outbox.deliver(store)
    assert store.count() == 21


def test_legacy_rows_postgresql_refuses_are_dead_letters_with_the_text_kept_escaped(postgres_url, tmp_path):
    store = LogStore(postgres_url)
    store.migrate()
    outbox = Outbox(tmp_path / "outbox.db")
    good = record()
    _queue_raw(outbox, "record", json.dumps(_raw_record(text="a NUL \x00 here", user_id="p-nul"), ensure_ascii=False))
    _queue_raw(outbox, "record", json.dumps(_raw_record(team="t" * 65)))
    outbox.put(good)
    outbox.deliver(store)
    assert [r.event_id for r in store.records()] == [good.event_id]
    letters = {letter.user_id: letter for letter in store.dead_letters()}
    assert "NUL" in letters["p-nul"].reason and '"a NUL \\u0000 here"' in letters["p-nul"].payload
    assert "too long" in letters["p-aaa"].reason
    store.close()


def test_the_same_refused_row_delivered_twice_is_one_dead_letter(store, tmp_path):
    for _ in range(2):  # the process died after burying and before clearing the outbox
        outbox = Outbox(tmp_path / "outbox.db")
        _queue_raw(outbox, "record", "{not json")
        outbox.deliver(store)
    assert store.dead_letter_count() == 1


def test_an_unreachable_database_buries_nothing(tmp_path):
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.put(record(direction=None))
    outbox.put(record())
    dead = LogStore("postgresql://coach@127.0.0.1:9/nowhere")
    assert OutboxWriter(outbox, dead).flush() is False
    assert outbox.pending() == 2


def test_a_full_outbox_refuses_and_counts_new_rows_keeps_erasures_and_says_so(tmp_path, caplog, database_url):
    outbox = Outbox(tmp_path / "outbox.db", max_rows=5)
    with caplog.at_level(logging.WARNING):
        for _ in range(8):
            outbox.put(record(user="p-a"))
        outbox.put_forget("p-b")
    state = outbox.state()
    assert (state.pending, state.refused, state.fill) == (6, 3, 1.2)
    assert caplog.text.count("is full") == 1
    store = LogStore(database_url)
    store.migrate()
    outbox.deliver(store)
    outbox.put(record())
    assert outbox.state().pending == 1 and outbox.state().refused == 3
    assert "has room again" in caplog.text
    assert store.count() == 5
    store.close()
