"""Planning and sending, one rule at a time: consent, the weekly cap, claims between replicas,
a replica that stops mid-way, a platform that fails, "stop", and erasure."""

import datetime as dt
import io
import json

from sqlalchemy import func, select

from bot.adoption_log import export
from bot.followups.dispatcher import LEASE, Dispatcher, composer
from bot.followups.logbook import Logbook
from bot.followups.planner import Planner
from bot.followups.store import DUE, FAILED, PULSE, PULSES, SENT, TIP_CHECK, FollowupStore
from bot.knowledge import base as knowledge
from bot.privacy import erasure
from bot.settings import load
from tests.unit.followups.conftest import MONDAY, ROME, RecordingSender, row, tip_row

KB = knowledge.load()
ANN, BOB = "p-" + "a" * 24, "p-" + "b" * 24
THURSDAY_TEN = MONDAY + dt.timedelta(days=3, hours=2)


def _agree(store, user, address="1", at=MONDAY):
    store.offer_once(user, "telegram", at)
    store.decide(user, "telegram", address, "it", agree=True, now=at)


def _planner(store):
    return Planner(store, ROME, lambda: KB.entries)


def _dispatcher(store, log, name, clock, outbox, fail_for=frozenset()):
    sender = RecordingSender(name, clock, outbox, fail_for)
    return Dispatcher(store, ROME, {"telegram": sender}, composer(log.engine, lambda: KB), name, Logbook(log, b"k"))


def test_nothing_is_planned_for_who_did_not_agree_or_said_no(log):
    store = FollowupStore(log.engine)
    store.offer_once(ANN, "telegram", MONDAY)  # asked, never answered
    store.decide(BOB, "telegram", "2", "it", agree=False, now=MONDAY)
    log.add(
        [tip_row(ANN, MONDAY + dt.timedelta(hours=2), "objection_no_time"), tip_row(BOB, MONDAY, "objection_no_time")]
    )
    assert _planner(store).plan(MONDAY + dt.timedelta(days=4, hours=8)) == 0
    assert store.messages() == []
    assert store.consent(BOB).address is None  # a "no" keeps no address


def test_a_tip_is_checked_three_working_days_later_and_a_second_one_that_week_moves_to_the_next(log):
    store = FollowupStore(log.engine)
    _agree(store, ANN)
    log.add(
        [
            tip_row(ANN, MONDAY + dt.timedelta(hours=2), "objection_no_time"),
            tip_row(ANN, MONDAY + dt.timedelta(hours=3), "objection_feel_stupid"),
        ]
    )
    planner = _planner(store)
    assert planner.plan(MONDAY + dt.timedelta(hours=4)) == 2
    assert planner.plan(MONDAY + dt.timedelta(hours=5)) == 0  # planning again adds nothing
    checks = store.messages(ANN)
    assert [(m.kind, m.kb_entry, m.due_at) for m in checks] == [
        (TIP_CHECK, "objection_no_time", THURSDAY_TEN),
        (TIP_CHECK, "objection_feel_stupid", MONDAY + dt.timedelta(days=7, hours=1)),  # next Monday 9:00
    ]


def test_the_week_keeps_a_place_for_the_pulse_so_no_refresher_beside_a_tip_check(log):
    store = FollowupStore(log.engine)
    _agree(store, ANN)
    log.add(
        [
            row(ANN, MONDAY - dt.timedelta(days=1), intent="objection_no_time", team="north"),
            tip_row(ANN, MONDAY + dt.timedelta(hours=2), "objection_feel_stupid"),
        ]
    )
    planner = _planner(store)
    for hour in range(24 * 7):
        planner.plan(MONDAY + dt.timedelta(hours=hour))
    assert sorted(m.kind for m in store.messages(ANN)) == [PULSE, TIP_CHECK]


def test_two_replicas_claim_each_message_once(log):
    store = FollowupStore(log.engine)
    _agree(store, ANN)
    log.add([tip_row(ANN, MONDAY + dt.timedelta(hours=2), "objection_no_time")])
    _planner(store).plan(MONDAY + dt.timedelta(hours=3))
    [message_id] = store.due(THURSDAY_TEN)
    assert store.claim(message_id, "a", THURSDAY_TEN) is not None
    assert store.claim(message_id, "b", THURSDAY_TEN) is None
    assert store.due(THURSDAY_TEN) == []


def test_a_claim_left_by_a_replica_that_stopped_is_sent_after_the_lease(log):
    store = FollowupStore(log.engine)
    _agree(store, ANN)
    log.add([tip_row(ANN, MONDAY + dt.timedelta(hours=2), "objection_no_time")])
    _planner(store).plan(MONDAY + dt.timedelta(hours=3))
    [message_id] = store.due(THURSDAY_TEN)
    store.claim(message_id, "crashed", THURSDAY_TEN)  # then the process died before sending
    clock, outbox = [THURSDAY_TEN], []
    dispatcher = _dispatcher(store, log, "b", clock, outbox)
    assert dispatcher.tick(THURSDAY_TEN + LEASE / 2) == 0  # still someone else's
    clock[0] = THURSDAY_TEN + LEASE + dt.timedelta(minutes=1)
    assert dispatcher.tick(clock[0]) == 1
    assert [m.state for m in store.messages(ANN)] == [SENT]


def test_nothing_goes_out_at_night_or_at_the_weekend_and_a_late_weekly_message_expires(log):
    store = FollowupStore(log.engine)
    _agree(store, ANN)
    friday_pulse = ROME.pulse_time(MONDAY.date())
    _planner(store).plan(friday_pulse)
    clock, outbox = [friday_pulse], []
    dispatcher = _dispatcher(store, log, "a", clock, outbox)
    for hours in (4, 20, 30, 60):  # Friday 19:00, Saturday, Sunday: the coach was down at 15:00
        assert dispatcher.tick(friday_pulse + dt.timedelta(hours=hours)) == 0
    assert outbox == [] and [m.state for m in store.messages(ANN)] == ["expired"]


def test_a_failing_platform_is_tried_again_in_working_time_then_given_up(log):
    store = FollowupStore(log.engine)
    _agree(store, ANN, address="down")
    log.add([tip_row(ANN, MONDAY + dt.timedelta(hours=2), "objection_no_time")])
    _planner(store).plan(MONDAY + dt.timedelta(hours=3))
    clock, outbox = [THURSDAY_TEN], []
    dispatcher = _dispatcher(store, log, "a", clock, outbox, fail_for=frozenset({"down"}))
    for hour in range(8):
        dispatcher.tick(THURSDAY_TEN + dt.timedelta(hours=hour))
    [message] = store.messages(ANN)
    assert message.state == FAILED and outbox == []


def test_stop_cancels_what_is_planned_and_nothing_more_is_sent(log):
    store = FollowupStore(log.engine)
    _agree(store, ANN)
    log.add([tip_row(ANN, MONDAY + dt.timedelta(hours=2), "objection_no_time")])
    planner = _planner(store)
    planner.plan(MONDAY + dt.timedelta(hours=3))
    store.decide(ANN, "telegram", None, "it", agree=False, now=MONDAY + dt.timedelta(days=1))
    clock, outbox = [THURSDAY_TEN], []
    dispatcher = _dispatcher(store, log, "a", clock, outbox)
    for hour in range(24 * 5):
        clock[0] = MONDAY + dt.timedelta(days=1, hours=hour)
        planner.plan(clock[0])
        dispatcher.tick(clock[0])
    assert outbox == [] and store.messages(ANN) == []


def test_erasing_a_person_removes_their_consent_plans_and_pulse_scores(log, tmp_path):
    store = FollowupStore(log.engine)
    _agree(store, ANN)
    _agree(store, BOB, address="2")
    for user in (ANN, BOB):
        log.add([tip_row(user, MONDAY + dt.timedelta(hours=2), "objection_no_time")])
        store.add_pulse(user, "north", MONDAY.date(), 4, MONDAY)
    _planner(store).plan(MONDAY + dt.timedelta(hours=3))
    settings = load({"DATABASE_URL": log.url, "COACH_DATA_DIR": str(tmp_path), "COACH_SECRET_KEY": "k"})
    erasure.erase(settings, log, ANN, "sender-of-ann")
    assert store.consent(ANN) is None and store.messages(ANN) == []
    with log.engine.connect() as connection:
        assert connection.execute(select(PULSES.c.user_id, func.count()).group_by(PULSES.c.user_id)).all() == [(BOB, 1)]
    assert store.consent(BOB).state == "on" and [m.state for m in store.messages(BOB)] == [DUE]


def test_a_sent_follow_up_is_a_bot_row_of_its_conversation_exported_and_erased_with_it(log):
    store = FollowupStore(log.engine)
    _agree(store, ANN)
    log.add([row(ANN, MONDAY, intent="objection_no_time", team="north")])
    log.add([tip_row(ANN, MONDAY + dt.timedelta(hours=2), "objection_no_time")])
    _planner(store).plan(MONDAY + dt.timedelta(hours=3))
    clock, outbox = [THURSDAY_TEN], []
    assert _dispatcher(store, log, "a", clock, outbox).tick(THURSDAY_TEN) == 1
    [(_, _, _, sent)] = outbox
    *_, followup = log.records()  # the conversation, in order: the coach wrote last, first
    assert (followup.ts, followup.user_id, followup.direction, followup.text) == (THURSDAY_TEN, ANN, "bot", sent.text)
    assert (followup.channel, followup.team, followup.language, followup.kb_entry) == ("telegram", "north", "it", None)
    exported = io.StringIO()
    export.write(log.records(), exported, "jsonl")
    assert json.loads(exported.getvalue().splitlines()[-1])["text"] == sent.text

    log.forget(ANN, at=THURSDAY_TEN + dt.timedelta(hours=1))  # what /forget does (bot/privacy/erasure.py), later
    assert log.count(ANN) == 0


def test_a_follow_up_whose_person_was_erased_while_it_went_out_leaves_no_row(log):
    store = FollowupStore(log.engine)
    _agree(store, ANN)
    log.add([tip_row(ANN, MONDAY + dt.timedelta(hours=2), "objection_no_time")])
    _planner(store).plan(MONDAY + dt.timedelta(hours=3))
    clock, outbox = [THURSDAY_TEN], []

    class ErasedMeanwhile(RecordingSender):
        def send(self, address, message):
            super().send(address, message)
            log.forget(ANN, THURSDAY_TEN - dt.timedelta(seconds=1))  # /forget, while the platform took it
            store.forget(ANN)

    dispatcher = Dispatcher(
        store,
        ROME,
        {"telegram": ErasedMeanwhile("a", clock, outbox)},
        composer(log.engine, lambda: KB),
        "a",
        Logbook(log, b"k"),
    )
    dispatcher.tick(THURSDAY_TEN)
    assert len(outbox) == 1 and log.count(ANN) == 0
