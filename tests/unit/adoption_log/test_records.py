"""Rasa's own events, as its tracker store publishes them, become adoption-log records."""

from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from bot.adoption_log.records import EventLog, asks_erasure, reply_metadata
from bot.privacy.pseudonyms import is_pseudonym, pseudonym

KEY = b"test-key"
SENDER = pseudonym(KEY, "telegram", "123456789")


def published(event, sender=SENDER) -> dict:
    return {"sender_id": sender, **event.as_dict()}


def objection(text="non ho tempo per il CRM, mario@example.it", **metadata) -> UserUttered:
    intent = {"name": "objection_no_time", "confidence": 0.91}
    parse_data = {
        "text": text,
        "intent": intent,
        "entities": [],
        "language": "it",
        "language_source": "text",
        "sentiment": {"label": "negative", "score": -0.57},
    }
    return UserUttered(text, intent=intent, parse_data=parse_data, input_channel="telegram", metadata=metadata)


def reply(**metadata) -> BotUttered:
    return BotUttered("Capisco: il tempo è poco...", data={"buttons": []}, metadata=metadata)


def test_a_user_message_keeps_what_the_nlu_understood_and_redacts_the_text():
    log = EventLog(KEY, store_text=True)
    row = log.record(published(objection(team="north")))
    assert (row.direction, row.user_id, row.channel, row.team) == ("user", SENDER, "telegram", "north")
    assert (row.language, row.intent, row.confidence) == ("it", "objection_no_time", 0.91)
    assert (row.sentiment_label, row.sentiment_score) == ("negative", -0.57)
    assert row.text == "non ho tempo per il CRM, [email]"


def test_a_reply_carries_the_actions_facts_and_inherits_the_messages_context():
    log = EventLog(KEY, store_text=True)
    log.record(published(objection(team="north")))
    row = log.record(published(reply(**reply_metadata("it", "objection_no_time", None, erase=False))))
    assert (row.direction, row.user_id, row.channel, row.team) == ("bot", SENDER, "telegram", "north")
    assert (row.language, row.kb_entry, row.intent, row.feedback) == (
        "it",
        "objection_no_time",
        "objection_no_time",
        None,
    )
    assert row.text.startswith("Capisco")


def test_feedback_is_recorded_on_the_reply_that_acknowledges_it():
    log = EventLog(KEY, store_text=True)
    click = UserUttered(
        "/feedback_helpful", intent={"name": "feedback_helpful", "confidence": 1.0}, input_channel="webchat"
    )
    user_row = log.record(published(click))
    bot_row = log.record(published(reply(**reply_metadata("en", "objection_no_time", "helpful", erase=False))))
    assert (user_row.intent, user_row.language, user_row.sentiment_label) == ("feedback_helpful", None, None)
    assert (bot_row.kb_entry, bot_row.feedback, bot_row.intent) == ("objection_no_time", "helpful", "feedback_helpful")


def test_with_text_storage_off_no_user_text_is_kept():
    row = EventLog(KEY, store_text=False).record(published(objection()))
    assert row.text is None and row.intent == "objection_no_time"


def test_a_sender_that_came_in_without_our_channel_is_pseudonymised_here():
    row = EventLog(KEY, store_text=True).record(published(objection(), sender="raw-account-7"))
    assert is_pseudonym(row.user_id) and row.user_id == pseudonym(KEY, "telegram", "raw-account-7")


def test_events_that_are_not_messages_are_not_logged():
    log = EventLog(KEY, store_text=True)
    assert log.record(published(SlotSet("language", "it"))) is None
    assert log.record(published(ActionExecuted("action_listen"))) is None


def test_only_a_confirmed_forget_reply_asks_for_erasure():
    assert asks_erasure(published(reply(**reply_metadata("it", None, None, erase=True))))
    assert not asks_erasure(published(reply(**reply_metadata("it", None, None, erase=False))))
    assert not asks_erasure(published(objection()))


def test_the_same_event_published_twice_is_one_row_and_distinct_events_are_two(database_url, tmp_path):
    from bot.adoption_log.outbox import Outbox
    from bot.adoption_log.store import LogStore

    store = LogStore(database_url)
    store.migrate()
    log, outbox = EventLog(KEY, store_text=True), Outbox(tmp_path / "outbox.db")
    message = published(objection())
    for event in (message, dict(message), published(objection()), published(objection(), sender="other")):
        outbox.put(log.record(event))
    outbox.deliver(store)
    assert store.count() == 3
    store.close()
