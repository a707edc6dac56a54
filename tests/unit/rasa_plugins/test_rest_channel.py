"""Privacy at the door: what the REST channel hands to Rasa."""

import asyncio
from types import SimpleNamespace

import pytest

from bot.privacy.pseudonyms import is_pseudonym, pseudonym
from bot.rasa_plugins.rest_channel import PrivateRestInput, as_command
from bot.settings import load


@pytest.fixture
def channel(tmp_path):
    (tmp_path / "teams.yml").write_text('north: ["telegram:42"]\n')
    settings = load(
        {"COACH_VAR_DIR": str(tmp_path), "COACH_SECRET_KEY": "k", "COACH_TEAMS_FILE": str(tmp_path / "teams.yml")}
    )
    return PrivateRestInput(settings)


def request(body):
    # Only `.json` of Sanic's request is read by the channel.
    return SimpleNamespace(json=body)


def sender(channel, body):
    return asyncio.run(channel._extract_sender(request(body)))


def test_the_sender_becomes_a_pseudonym_of_channel_and_account(channel):
    body = {"sender": "42", "message": "ciao", "metadata": {"channel": "telegram"}}
    assert sender(channel, body) == pseudonym(b"k", "telegram", "42")
    assert sender(channel, {**body, "metadata": {"channel": "slack"}}) != sender(channel, body)


def test_the_team_comes_from_the_leads_mapping_never_from_the_client(channel):
    mapped = {"sender": "42", "metadata": {"channel": "telegram", "team": "board", "language_hint": "it"}}
    assert channel.get_metadata(request(mapped)) == {"language_hint": "it", "team": "north"}
    stranger = {"sender": "7", "metadata": {"channel": "telegram", "team": "board"}}
    assert channel.get_metadata(request(stranger)) == {}


def test_personal_data_is_blanked_before_rasa_sees_the_text(channel):
    body = {"sender": "1", "message": "il cliente è mario@rossi.it, tel. 333 1234567"}
    assert channel._extract_message(request(body)) == "il cliente è [email], tel. [phone]"


@pytest.mark.parametrize(
    "body",
    [{}, {"sender": None, "message": None}, {"sender": "", "message": 12}, {"metadata": "nonsense"}],
)
def test_odd_bodies_still_give_a_sender_a_text_and_a_channel(channel, body):
    assert is_pseudonym(sender(channel, body))
    assert isinstance(channel._extract_message(request(body)), str)
    assert channel._extract_input_channel(request(body)) == "rest"
    assert channel.get_metadata(request(body)) == {}


def test_a_body_that_is_not_an_object_is_treated_as_empty(channel):
    assert channel._extract_message(request(["a", "list"])) == ""


def test_an_invented_channel_name_falls_back_to_rest(channel):
    assert channel._extract_input_channel(request({"metadata": {"channel": "<script>"}})) == "rest"
    assert channel._extract_input_channel(request({"metadata": {"channel": "Telegram"}})) == "telegram"


@pytest.mark.parametrize(
    "text, intent",
    [
        ("/privacy", "/ask_privacy"),
        ("/forget", "/request_forget"),
        ("/privacy@CoachBot", "/ask_privacy"),
        ("/help", "/ask_help"),
        ("/start", "/greet"),
        ("/ask_more", "/ask_more"),
        ("privacy please", "privacy please"),
        ("/lang es", '/set_language{"chosen_language": "es"}'),
        ("/lang@CoachBot EN", '/set_language{"chosen_language": "en"}'),
        ("/lang", "/set_language"),
        ("/lang fr", "/set_language"),
    ],
)
def test_chat_commands_become_their_intents(text, intent):
    assert as_command(text) == intent


def test_a_huge_message_is_cut_before_it_is_redacted():
    from bot.rasa_plugins.rest_channel import MAX_MESSAGE_CHARS, clean_text

    text = "mail me at anna.rossi@example.com " + "x" * 1_000_000
    cleaned = clean_text(text)
    assert len(cleaned) <= MAX_MESSAGE_CHARS
    assert "anna.rossi" not in cleaned and cleaned.startswith("mail me at ")
