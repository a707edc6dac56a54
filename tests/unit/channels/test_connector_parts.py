"""The connectors' own logic, without a network: access, splitting, merging, group addressing."""

import pytest
from telegram import Chat, Message, User

from bot.channels.access import Access, AccessError, parse_ids
from bot.channels.rasa_client import CoachReply, _merged, language_of
from bot.channels.slack import blocks
from bot.channels.telegram import MAX_TEXT, addressed_text, keyboard, split


def test_an_allowlisted_account_is_in_and_a_stranger_joins_only_with_the_code(engine):
    access = Access("telegram", b"k", engine, parse_ids("1001, 1002"), "crm-pilot-2026")
    assert access.is_allowed("1001") and not access.is_allowed("2001")
    assert not access.try_join("2001", "crm-pilot")
    assert access.try_join("2001", " crm-pilot-2026 ") and access.try_join("2001", "crm-pilot-2026")
    assert access.is_allowed("2001")


def test_a_bot_open_to_anyone_or_with_a_guessable_code_does_not_start(engine):
    with pytest.raises(AccessError, match="allowlist"):
        Access("telegram", b"k", engine, frozenset(), None)
    with pytest.raises(AccessError, match="8 characters"):
        Access("telegram", b"k", engine, frozenset(), "1234")


@pytest.mark.parametrize(
    "locale, language", [("es-ES", "es"), ("it", "it"), ("en_GB", "en"), ("fr-FR", None), (None, None)]
)
def test_platform_locales_become_language_hints(locale, language):
    assert language_of(locale) == language


def test_paragraphs_rasa_split_are_one_chat_message_again():
    replies = [CoachReply("Sorry."), CoachReply("Topics:\n• a"), CoachReply("Answer", (("More", "/ask_more"),))]
    assert _merged(replies) == [CoachReply("Sorry.\n\nTopics:\n• a\n\nAnswer", (("More", "/ask_more"),))]


def test_long_replies_are_cut_under_telegrams_limit_at_a_line_end():
    parts = split(("riga di testo\n" * 600).strip())
    assert len(parts) == 3 and all(len(p) <= MAX_TEXT for p in parts)
    assert all(not p.startswith("\n") for p in parts)


def test_buttons_become_an_inline_keyboard_two_a_row_and_block_kit_buttons():
    reply = CoachReply("x", (("More", "/ask_more"), ("Tip", "/ask_tip"), ("Helped", "/feedback_helpful")))
    rows = keyboard(reply).inline_keyboard
    assert [[b.callback_data for b in row] for row in rows] == [["/ask_more", "/ask_tip"], ["/feedback_helpful"]]
    assert keyboard(CoachReply("x")) is None
    assert [e["value"] for e in blocks(reply)[1]["elements"]] == ["/ask_more", "/ask_tip", "/feedback_helpful"]


def _message(text, chat_type, reply_to_bot=False):
    bot = User(999, "Coach", True, username="CoachBot")
    replied = Message(1, None, Chat(-5, chat_type), from_user=bot, text="earlier") if reply_to_bot else None
    return Message(2, None, Chat(-5, chat_type), from_user=User(7, "Ann", False), text=text, reply_to_message=replied)


def test_in_groups_only_mentions_and_replies_to_the_bot_are_for_it():
    assert addressed_text(_message("non ho tempo", "group"), "CoachBot", 999) is None
    assert addressed_text(_message("@coachbot non ho tempo", "group"), "CoachBot", 999) == "non ho tempo"
    assert addressed_text(_message("non ho tempo", "supergroup", reply_to_bot=True), "CoachBot", 999) == "non ho tempo"
    assert addressed_text(_message("non ho tempo", "private"), "CoachBot", 999) == "non ho tempo"
