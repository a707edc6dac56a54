"""Privacy and identity at the door: what the REST channel hands to Rasa."""

from types import SimpleNamespace

import pytest

from bot.channels.contract import MAX_MESSAGE_CHARS
from bot.privacy.pseudonyms import is_pseudonym, pseudonym
from bot.rasa_plugins import rest_channel
from bot.rasa_plugins.rest_channel import (
    WRONG_HOST,
    WRONG_ORIGIN,
    PrivateRestInput,
    as_command,
    browser_refusal,
    clean_text,
    is_json,
)
from bot.settings import load
from tests.regexes import regex_repeats


@pytest.fixture
def channel(tmp_path):
    (tmp_path / "teams.yml").write_text('north: ["telegram:42"]\n')
    settings = load(
        {"COACH_VAR_DIR": str(tmp_path), "COACH_SECRET_KEY": "k", "COACH_TEAMS_FILE": str(tmp_path / "teams.yml")}
    )
    return PrivateRestInput(settings)


def request(body, signed=False):
    # What the door leaves on Sanic's request for the rest: the parsed body, and whether a
    # connector signed it (tests/unit/channels/test_chat_doors.py checks the door over HTTP).
    return SimpleNamespace(ctx=SimpleNamespace(body=body, signed=signed))


def sender(channel, body, signed=False):
    return channel._extract_sender(request(body, signed))


def test_a_connectors_sender_becomes_the_pseudonym_of_channel_and_account_it_always_had(channel):
    body = {"sender": "42", "message": "ciao", "metadata": {"channel": "telegram"}}
    assert sender(channel, body, signed=True) == pseudonym(b"k", "telegram", "42")
    assert sender(channel, {**body, "metadata": {"channel": "slack"}}, signed=True) != sender(
        channel, body, signed=True
    )


def test_without_a_signature_a_claimed_platform_account_is_only_a_rest_user(channel):
    body = {"sender": "42", "message": "/forget", "metadata": {"channel": "telegram"}}
    assert channel._extract_input_channel(request(body)) == "rest"
    assert sender(channel, body) == pseudonym(b"k", "rest", "42") != pseudonym(b"k", "telegram", "42")


def test_a_web_chat_or_rest_user_keeps_the_pseudonym_it_always_had(channel):
    body = {"sender": "web-1", "message": "ciao", "metadata": {"channel": "webchat"}}
    assert sender(channel, body) == pseudonym(b"k", "webchat", "web-1")
    assert sender(channel, {"sender": "bench-7", "message": "ciao"}) == pseudonym(b"k", "rest", "bench-7")


def test_a_ready_made_pseudonym_from_a_client_is_never_that_persons(channel):
    someone = pseudonym(b"k", "telegram", "42")
    for claimed in ("telegram", "rest", "webchat"):
        taken = sender(channel, {"sender": someone, "message": "/forget", "metadata": {"channel": claimed}})
        assert is_pseudonym(taken) and taken != someone


def test_the_team_comes_from_the_leads_mapping_never_from_the_client(channel):
    mapped = {"sender": "42", "metadata": {"channel": "telegram", "team": "board", "language_hint": "it"}}
    assert channel.get_metadata(request(mapped, signed=True)) == {"language_hint": "it", "team": "north"}
    assert channel.get_metadata(request(mapped)) == {"language_hint": "it"}, "only a connector is telegram:42"
    stranger = {"sender": "7", "metadata": {"channel": "telegram", "team": "board"}}
    assert channel.get_metadata(request(stranger, signed=True)) == {}


def test_personal_data_is_blanked_before_rasa_sees_the_text(channel):
    body = {"sender": "1", "message": "il cliente è mario@rossi.it, tel. 333 1234567"}
    assert channel._extract_message(request(body)) == "il cliente è [email], tel. [phone]"


def test_a_half_of_a_utf16_pair_is_replaced_so_that_the_message_can_be_stored(channel):
    body = {"sender": "web-\ud800", "message": "grazie \udfff", "metadata": {"language_hint": "\ud800"}}
    assert channel._extract_message(request(body)) == "grazie \ufffd"
    assert sender(channel, body) == pseudonym(b"k", "rest", "web-\ufffd")
    assert channel.get_metadata(request(body)) == {}


def test_an_invented_channel_name_falls_back_to_rest(channel):
    assert channel._extract_input_channel(request({"metadata": {"channel": "<script>"}}, signed=True)) == "rest"
    assert channel._extract_input_channel(request({"metadata": {"channel": "Telegram"}}, signed=True)) == "telegram"


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
    text = "mail me at anna.rossi@example.com " + "x" * 1_000_000
    cleaned = clean_text(text)
    assert len(cleaned) <= MAX_MESSAGE_CHARS
    assert "anna.rossi" not in cleaned and cleaned.startswith("mail me at ")


def test_personal_data_across_the_cut_is_not_kept_in_part():
    address = "anna.rossi@example.com"
    for start in range(MAX_MESSAGE_CHARS - len(address), MAX_MESSAGE_CHARS + 1):
        cleaned = clean_text("x" * start + " " + address + " ciao")
        assert "anna" not in cleaned and len(cleaned) <= MAX_MESSAGE_CHARS


HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "coach.example.com"})
ORIGINS = frozenset({"https://portal.example.com"})


@pytest.mark.parametrize(
    "headers, refusal",
    [
        ({"host": "127.0.0.1:5005"}, None),  # a program: no Origin
        ({"host": "127.0.0.1:5005", "origin": "http://127.0.0.1:5005"}, None),  # the chat's own page
        ({"host": "Coach.Example.com", "origin": "https://coach.example.com"}, None),  # behind TLS
        ({"host": "[::1]:5005", "origin": "http://[::1]:5005"}, None),
        ({"host": "127.0.0.1:5005", "origin": "https://portal.example.com/"}, None),  # COACH_ALLOWED_ORIGINS
        ({"host": "127.0.0.1:5005", "origin": "https://evil.example"}, WRONG_ORIGIN),
        ({"host": "127.0.0.1:5005", "origin": "null"}, WRONG_ORIGIN),  # a sandboxed page or a file
        ({"host": "127.0.0.1:5005", "origin": "http://127.0.0.1:6006"}, WRONG_ORIGIN),
        ({"host": "rebound.evil.example:5005", "origin": "http://rebound.evil.example:5005"}, WRONG_HOST),
        ({"host": "evil.example@127.0.0.1"}, WRONG_HOST),
        ({"host": ""}, WRONG_HOST),
        ({}, WRONG_HOST),
    ],
)
def test_a_browsers_request_must_name_our_host_and_come_from_our_page(headers, refusal):
    assert browser_refusal(headers, HOSTS, ORIGINS) == refusal


def test_a_host_header_of_any_length_is_checked_at_once():
    assert browser_refusal({"host": "a" * 100_000 + ":"}, HOSTS, ORIGINS) == WRONG_HOST
    assert browser_refusal({"host": "[" + ":" * 100_000}, HOSTS, ORIGINS) == WRONG_HOST
    # At once whatever the length: the Host pattern is anchored and each of its repeats bounded, so
    # it gives up after a few hundred characters (the time is a benchmark's: bench/hostile_inputs.py).
    repeats = regex_repeats(rest_channel._HOST)
    assert repeats and all(most <= 253 for most, _ in repeats)
    assert rest_channel._HOST.pattern.startswith("^")


@pytest.mark.parametrize(
    "content_type, accepted",
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("text/plain", False),  # what a cross-site form or a simple fetch can send
        ("application/x-www-form-urlencoded", False),
        (None, False),
    ],
)
def test_only_json_is_taken(content_type, accepted):
    assert is_json(content_type) is accepted
