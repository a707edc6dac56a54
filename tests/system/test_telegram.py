"""Telegram end to end: the real python-telegram-bot, long polling a local Bot API server,
through the running coach (Rasa, actions, log) and back: in three languages, with buttons,
access control, groups, and updates a salesperson's phone may send."""

import time
from pathlib import Path

import pytest

from bot.knowledge.base import load
from bot.privacy.pseudonyms import load_key, pseudonym
from tests.fakes import telegram_api as tg
from tests.system.product import TELEGRAM_JOIN_CODE, exported_rows

KB = load()


def texts(language):
    return KB.conversation[language].texts


def log_rows(env, account, channel="telegram"):
    from pathlib import Path

    user = pseudonym(load_key(None, Path(env["COACH_VAR_DIR"]) / "secret.key"), channel, str(account))
    return [row for row in exported_rows(env) if row["user"] == user]


def wait_for_rows(env, account, count, seconds=30, channel="telegram", until=lambda rows: True):
    """The account's rows once there are `count` of them (and `until` says so)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = log_rows(env, account, channel)
        if len(rows) >= count and until(rows):
            return rows
        time.sleep(0.5)
    return log_rows(env, account, channel)


def test_an_objection_is_answered_with_an_inline_keyboard_and_a_click_follows_up(telegram, product_env):
    telegram.push(tg.text_message(1001, "non ho tempo per compilare il CRM", "it"))
    [answer] = telegram.wait_for(1001, 1)
    assert answer["text"].split("\n\n")[0] in KB.entry("objection_no_time").answers["it"].short
    keyboard = answer["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for row in keyboard for b in row] == [
        "/ask_more",
        "/ask_tip",
        "/feedback_helpful",
        "/feedback_not_helpful",
    ]
    telegram.push(tg.click(1001, "/ask_tip", "it"))
    answers = telegram.wait_for(1001, 2)
    assert KB.entry("objection_no_time").answers["it"].tip in answers[1]["text"]
    assert telegram.called("answerCallbackQuery") and telegram.called("editMessageReplyMarkup")
    rows = wait_for_rows(product_env, 1001, 4)
    assert [(r["direction"], r["intent"]) for r in rows][:3] == [
        ("user", "objection_no_time"),
        ("bot", "objection_no_time"),
        ("user", "ask_tip"),
    ]
    assert {r["channel"] for r in rows} == {"telegram"}


@pytest.mark.parametrize(
    "account, language, message, intent",
    [
        (1002, "es", "mis clientes son míos y no los comparto", "objection_clients_are_mine"),
        (1003, "en", "they want the CRM data to fire me", "objection_fear_of_control"),
    ],
)
def test_spanish_and_english_salespeople_get_answers_in_their_language(telegram, account, language, message, intent):
    before = len(telegram.sent(account))
    telegram.push(tg.text_message(account, message, language))
    answer = telegram.wait_for(account, before + 1)[-1]
    assert answer["text"].split("\n\n")[0] in KB.entry(intent).answers[language].short


def test_start_welcomes_in_the_telegram_language_and_lang_makes_a_choice_stick(telegram):
    telegram.push(tg.text_message(1002, "/start", "es"))
    welcome = telegram.wait_for(1002, 2)[-1]
    assert welcome["text"].split("\n\n")[0] in texts("es")["greet"]
    telegram.push(tg.text_message(1002, "/lang en", "es"))
    assert telegram.wait_for(1002, 3)[-1]["text"] == texts("en")["language_set"][0]
    telegram.push(tg.text_message(1002, "no tengo tiempo para el CRM", "es"))
    answer = telegram.wait_for(1002, 4)[-1]
    assert answer["text"].split("\n\n")[0] in KB.entry("objection_no_time").answers["en"].short


def test_a_stranger_is_refused_and_nothing_of_theirs_is_logged_until_they_join(telegram, product_env):
    telegram.push(tg.text_message(2001, "hola, no tengo tiempo", "es"))
    assert telegram.wait_for(2001, 1)[0]["text"] == texts("es")["not_allowed"][0]
    telegram.push(tg.text_message(2001, TELEGRAM_JOIN_CODE, "es"))
    assert telegram.wait_for(2001, 2)[1]["text"] == texts("es")["joined"][0]
    telegram.push(tg.text_message(2001, "no tengo tiempo para el CRM", "es"))
    assert telegram.wait_for(2001, 3)[2]["text"].split("\n\n")[0] in KB.entry("objection_no_time").answers["es"].short
    # The log keeps the order things were said in: once the reply to the message after joining
    # is there, anything logged from before would be there too.
    rows = wait_for_rows(
        product_env,
        2001,
        2,
        until=lambda rows: any(
            r["direction"] == "bot" and said["text"] == "no tengo tiempo para el CRM"
            for said, r in zip(rows, rows[1:], strict=False)
        ),
    )
    assert [(r["direction"], r["text"] if r["direction"] == "user" else r["intent"]) for r in rows] == [
        ("user", "no tengo tiempo para el CRM"),
        ("bot", "objection_no_time"),
    ], "only what was said after joining is logged"


def test_stickers_and_edited_messages_get_a_polite_reply(telegram):
    telegram.push(tg.sticker(1003, "en"))
    assert telegram.wait_for(1003, 1 + len(telegram.sent(1003)))[-1]["text"] == texts("en")["unsupported_message"][0]
    telegram.push(tg.edited(1003, "I meant something else", "en"))
    assert telegram.wait_for(1003, 1 + len(telegram.sent(1003)))[-1]["text"] == texts("en")["edited_message"][0]


def test_in_a_group_it_answers_only_when_mentioned(telegram):
    group = -5001
    telegram.push(tg.text_message(1001, "grazie mille!", "it", chat_id=group, chat_type="group"))
    # Updates are handled one after the other: when the mention is answered, an answer to the
    # message before it would have been sent already.
    telegram.push(tg.text_message(1001, "@CoachBot non ho tempo per il CRM", "it", chat_id=group, chat_type="group"))
    telegram.wait_for(group, 1)
    [answer] = telegram.sent(group)
    assert answer["text"].split("\n\n")[0] in KB.entry("objection_no_time").answers["it"].short


def test_bad_updates_do_not_stop_the_connector(telegram):
    # An update type from a future Bot API, a message without a sender, a click without its message.
    # (A payload the library cannot parse at all would stall polling: Telegram does not send those.)
    telegram.push({"some_future_update": {"id": 1, "anything": [1, 2]}})
    telegram.push(
        {
            "message": {
                "message_id": 5,
                "date": int(time.time()),
                "chat": {"id": 1001, "type": "private"},
                "text": "no sender",
            }
        }
    )
    telegram.push({"callback_query": {"id": "x", "from": tg.user(1001), "chat_instance": "c", "data": "/ask_more"}})
    before = len(telegram.sent(1001))
    telegram.push(tg.text_message(1001, "non ho tempo " * 1200, "it"))  # 15,600 characters
    huge = telegram.wait_for(1001, before + 1)[-1]
    assert len(huge["text"]) <= 4096
    telegram.push(tg.text_message(1001, "grazie mille!", "it"))
    assert telegram.wait_for(1001, before + 2)[-1]["text"].split("\n\n")[0] in texts("it")["thanks"]


def test_a_trainers_edit_of_a_connector_text_reaches_telegram_without_a_restart(telegram, product_env):
    """The connectors read the knowledge base as the action server does (bot/knowledge/reload.py)."""
    texts_file = Path(product_env["COACH_KNOWLEDGE_DIR"]) / "conversation" / "en.yml"
    original = texts_file.read_text(encoding="utf-8")
    old, new = texts("en")["unsupported_message"][0], "Only words for now, please: what bothers you about the CRM?"
    assert f'unsupported_message: "{old}"' in original

    def sticker_reply():
        telegram.push(tg.sticker(1003, "en"))
        return telegram.wait_for(1003, 1 + len(telegram.sent(1003)))[-1]["text"]

    def until(expected):
        deadline = time.monotonic() + 15  # the connector looks at the files once a second
        while (reply := sticker_reply()) != expected and time.monotonic() < deadline:
            time.sleep(0.5)
        return reply

    try:
        texts_file.write_text(
            original.replace(f'unsupported_message: "{old}"', f'unsupported_message: "{new}"'), encoding="utf-8"
        )
        assert until(new) == new
    finally:
        texts_file.write_text(original, encoding="utf-8")
    assert until(old) == old, "and back, for the tests after this one"


def test_wrong_join_codes_lock_the_account_out_even_for_the_right_code(telegram):
    stranger = 3901  # an account no other test (test_attacks joins 3001) has used
    for attempt in range(1, 6):
        telegram.push(tg.text_message(stranger, f"codice-{attempt}", "it"))
        telegram.wait_for(stranger, attempt)
    answers = [message["text"] for message in telegram.sent(stranger)]
    assert answers == [texts("it")["not_allowed"][0]] * 4 + [texts("it")["join_locked"][0]]
    telegram.push(tg.text_message(stranger, TELEGRAM_JOIN_CODE, "it"))
    assert telegram.wait_for(stranger, 6)[-1]["text"] == texts("it")["join_locked"][0]


def test_forget_over_telegram_erases_the_membership_and_the_log_before_saying_so(telegram, product_env):
    member = 3101
    telegram.push(tg.text_message(member, TELEGRAM_JOIN_CODE, "en"))
    assert telegram.wait_for(member, 1)[-1]["text"] == texts("en")["joined"][0]
    telegram.push(tg.text_message(member, "I have no time for the CRM", "en"))
    telegram.wait_for(member, 2)
    assert wait_for_rows(product_env, member, 2)
    telegram.push(tg.text_message(member, "/forget", "en"))
    assert telegram.wait_for(member, 3)[-1]["text"] == texts("en")["forget"][0]
    telegram.push(tg.click(member, "/affirm", "en"))
    assert telegram.wait_for(member, 4)[-1]["text"] == texts("en")["forgotten"][0]
    # The membership went with the rest: the account has to send the code again.
    telegram.push(tg.text_message(member, "I have no time for the CRM", "en"))
    assert telegram.wait_for(member, 5)[-1]["text"] == texts("en")["not_allowed"][0]
    deadline = time.monotonic() + 30  # the rows of the last turn are erased once the outbox delivered them
    while log_rows(product_env, member) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert log_rows(product_env, member) == []
