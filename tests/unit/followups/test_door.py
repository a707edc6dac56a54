"""What the connectors hand to the follow-ups: /nudges on|off, "stop", the offer once, and the
buttons' answers (feedback the Answers page counts, pulse scores), only from their addressee."""

import datetime as dt

from sqlalchemy import select

from bot.adoption_log.store import MessageRow
from bot.channels.rasa_client import CoachReply
from bot.dashboard.queries import Filters, answers
from bot.followups.door import FollowupDoor
from bot.followups.planner import Planner
from bot.followups.store import PULSE, PULSES, SENT, FollowupStore
from bot.knowledge import base as knowledge
from bot.privacy.pseudonyms import pseudonym
from bot.privacy.teams import TeamDirectory
from tests.unit.followups.conftest import MONDAY, ROME, row, tip_row

KB = knowledge.load()


def _door(log, clock):
    return FollowupDoor("telegram", b"k", log, lambda: KB, clock=lambda: clock[0])


def _say(lang, key):
    return KB.conversation[lang].texts[key][0]


def test_nudges_on_and_stop_change_the_consent_and_other_text_goes_to_the_coach(log):
    door, store = _door(log, [MONDAY]), FollowupStore(log.engine)
    user = pseudonym(b"k", "telegram", "42")
    assert door.handle("42", "42", "non ho tempo", "it") is None
    assert door.handle("42", "42", "/nudges on", "it") == [CoachReply(_say("it", "followup_on"))]
    assert (store.consent(user).state, store.consent(user).address) == ("on", "42")
    assert door.handle("42", "42", "  STOP ", "it") == [CoachReply(_say("it", "followup_off"))]
    assert (store.consent(user).state, store.consent(user).address) == ("off", None)
    assert door.handle("42", None, "/nudges on", "es") == [CoachReply(_say("es", "followup_nudges_usage"))]  # a group


def test_the_offer_comes_once_after_the_first_that_helped_and_only_in_a_private_chat(log):
    door = _door(log, [MONDAY])
    assert door.offer("42", "42", "non ho tempo", "en") is None  # an answer not rated yet
    assert door.offer("42", "42", "/feedback_not_helpful", "en") is None
    assert door.offer("42", None, "/feedback_helpful", "en") is None  # a group
    offer = door.offer("42", "42", " /feedback_helpful", "en")
    assert offer.text == _say("en", "followup_offer")
    assert [payload for _, payload in offer.buttons] == ["/nudges on", "/nudges off"]
    assert door.offer("42", "42", "/feedback_helpful", "en") is None


def _logged(log, user):
    rows = MessageRow.__table__
    with log.engine.connect() as connection:
        query = select(rows.c.direction, rows.c.text, rows.c.intent, rows.c.language, rows.c.channel, rows.c.team)
        return connection.execute(query.where(rows.c.user_id == user).order_by(rows.c.ts, rows.c.id)).all()


def test_commands_and_their_replies_are_logged_like_any_message_and_erased_with_the_person(log, tmp_path):
    user = pseudonym(b"k", "telegram", "42")
    log.add([row(user, MONDAY - dt.timedelta(days=1), intent="greet", language="it", team="south")])
    # The team is the adoption lead's mapping now, as on the coach's rows, not the log's last word.
    (tmp_path / "teams.yml").write_text("north: ['telegram:42']\n", encoding="utf-8")
    door = FollowupDoor(
        "telegram", b"k", log, lambda: KB, clock=lambda: MONDAY, teams=TeamDirectory(tmp_path / "teams.yml")
    )
    assert door.handle("42", "42", "non ho tempo", "it") is None  # for the coach: its own rows, not the door's
    offer = door.offer("42", "42", "/feedback_helpful", "it")
    door.handle("42", "42", "/nudges on", "it")
    door.handle("42", "42", "/nudges mario.rossi@example.com", "it")
    assert _logged(log, user)[1:] == [
        ("bot", offer.text, None, None, "telegram", "north"),
        ("user", "/nudges on", None, None, "telegram", "north"),
        ("bot", _say("it", "followup_on"), None, None, "telegram", "north"),
        ("user", "/nudges [email]", None, None, "telegram", "north"),
        ("bot", _say("it", "followup_nudges_usage"), None, None, "telegram", "north"),
    ]
    assert log.forget(user, at=MONDAY) == 6 and _logged(log, user) == []


def test_where_texts_are_not_kept_a_command_is_logged_without_its_text(log):
    door = FollowupDoor("telegram", b"k", log, lambda: KB, clock=lambda: MONDAY, store_text=False)
    door.handle("7", "7", "stop", "en")
    logged = _logged(log, pseudonym(b"k", "telegram", "7"))
    assert [(direction, text) for direction, text, *_ in logged] == [
        ("user", None),
        ("bot", _say("en", "followup_off")),
    ]


def _sent_tip_check(log, store, user, at):
    log.add([row(user, at, intent="objection_no_time", team="north"), tip_row(user, at, "objection_no_time")])
    Planner(store, ROME, lambda: KB.entries).plan(at + dt.timedelta(hours=1))
    [message_id] = store.due(at + dt.timedelta(days=3))  # Thursday: three working days on, same week
    store.claim(message_id, "a", at)
    store.sent(message_id, "a", at)
    return message_id


def test_a_tip_checks_answer_is_feedback_on_that_answer_counted_once_and_only_from_its_addressee(log):
    clock = [MONDAY]
    door, store = _door(log, clock), FollowupStore(log.engine)
    users = {account: pseudonym(b"k", "telegram", account) for account in ("1", "2", "3", "4", "5", "6")}
    sent = {}
    for account, user in users.items():
        door.handle(account, account, "/nudges on", "it")
        sent[account] = _sent_tip_check(log, store, user, MONDAY + dt.timedelta(hours=2))
    assert door.handle("6", "6", f"/followup {sent['1']} helped", "it") == [CoachReply(_say("it", "followup_expired"))]
    for account in ("1", "2", "3", "4", "5"):
        assert door.handle(account, account, f"/followup {sent[account]} helped", "it") == [
            CoachReply(_say("it", "followup_thanks"))
        ]
    assert door.handle("1", "1", f"/followup {sent['1']} not_helped", "it")[0].text == _say("it", "followup_expired")
    assert door.handle("6", "6", f"/followup {sent['6']} 5", "it")[0].text == _say("it", "followup_expired")  # no pulse
    [entry] = answers(log.engine, Filters.whole_weeks(MONDAY.date(), MONDAY.date()))
    assert (entry["kb_entry"], entry["given"], entry["rated"], entry["helped_share"]) == (
        "objection_no_time",
        6,
        5,
        1.0,
    )
    assert [m.state for m in store.messages(users["6"])] == [SENT]


def test_a_pulse_answer_is_a_score_for_the_week_with_the_team(log):
    clock = [MONDAY]
    door, store = _door(log, clock), FollowupStore(log.engine)
    user = pseudonym(b"k", "telegram", "7")
    door.handle("7", "7", "/nudges on", "it")
    log.add([row(user, MONDAY, intent="objection_no_time", team="south")])
    friday = ROME.pulse_time(MONDAY.date())
    Planner(store, ROME, lambda: KB.entries).plan(friday)
    [message_id] = [m.id for m in store.messages(user) if m.kind == PULSE]  # beside the week's refresher
    store.claim(message_id, "a", friday)
    store.sent(message_id, "a", friday)
    assert door.handle("7", "7", f"/followup {message_id} 4", "it")[0].text == _say("it", "followup_thanks")
    assert door.handle("7", "7", f"/followup {message_id} 1", "it")[0].text == _say("it", "followup_expired")
    with log.engine.connect() as connection:
        scores = connection.execute(select(PULSES.c.user_id, PULSES.c.team, PULSES.c.week, PULSES.c.score)).all()
    assert scores == [(user, "south", MONDAY.date(), 4)]


def test_a_forged_or_odd_answer_gets_a_clear_reply(log):
    door = _door(log, [MONDAY])
    for text in ("/followup", "/followup abc helped", "/followup 1 rm -rf", "/followup 99999999999999999 helped"):
        assert door.handle("42", "42", text, "en") == [CoachReply(_say("en", "followup_nudges_usage"))]
    assert door.handle("42", "42", "/followup 12 helped", "en") == [CoachReply(_say("en", "followup_expired"))]
