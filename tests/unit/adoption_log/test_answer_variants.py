"""The variant a reply gave, and the one a "that helped" / "that didn't help" reply rates, go from
the action's metadata to the log row, through the outbox into both databases, and to the export."""

import csv
import io

from rasa.shared.core.events import BotUttered, UserUttered

from bot.adoption_log import export
from bot.adoption_log.outbox import Outbox
from bot.adoption_log.records import EventLog, reply_metadata
from bot.adoption_log.store import LogStore
from tests.unit.adoption_log.test_records import KEY, objection, published

VARIANT = 1_234_567_890


def _click(intent: str) -> UserUttered:
    return UserUttered(f"/{intent}", intent={"name": intent, "confidence": 1.0}, input_channel="telegram")


def _reply(**metadata) -> BotUttered:
    return BotUttered("...", data={"buttons": []}, metadata=metadata)


def test_the_answer_and_its_rating_carry_the_variant_into_both_databases(database_url, tmp_path):
    log, outbox = EventLog(KEY, store_text=True), Outbox(tmp_path / "outbox.db")
    answer_metadata = reply_metadata("it", "objection_no_time", None, erase=False, variant=VARIANT)
    rating_metadata = reply_metadata("it", "objection_no_time", "helpful", erase=False, variant=VARIANT)
    for event in (objection(), _reply(**answer_metadata), _click("feedback_helpful"), _reply(**rating_metadata)):
        outbox.put(log.record(published(event)))
    store = LogStore(database_url)
    store.migrate()
    outbox.deliver(store)
    rows = [(r.direction, r.intent, r.feedback, r.answer_variant) for r in store.records()]
    store.close()
    assert rows == [
        ("user", "objection_no_time", None, None),
        ("bot", "objection_no_time", None, VARIANT),
        ("user", "feedback_helpful", None, None),
        ("bot", "feedback_helpful", "helpful", VARIANT),
    ]


def test_a_reply_without_a_variant_or_with_an_odd_one_logs_none():
    log = EventLog(KEY, store_text=True)
    assert "answer_variant" not in reply_metadata("it", None, None, erase=False)
    for odd in (None, "12", -1, 2**31, True, 1.5):
        row = log.record(published(_reply(language="it", kb_entry="objection_no_time", answer_variant=odd)))
        assert row.answer_variant is None, odd


def test_the_export_has_the_variant_column():
    log = EventLog(KEY, store_text=True)
    log.record(published(objection()))
    row = log.record(published(_reply(**reply_metadata("es", "objection_no_time", None, erase=False, variant=7))))
    out = io.StringIO()
    export.write([row], out, "csv")
    [exported] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(exported)[-1] == "answer_variant" and exported["answer_variant"] == "7"
