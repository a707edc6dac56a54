from pathlib import Path

import pytest
import yaml

from bot.privacy.redaction import CARD, PHONE, SECRET, URL, redact

CORPUS = Path(__file__).with_name("redaction_corpus")
LANGUAGES = ("it", "es", "en")
CASE_KEYS = {"text", "gone", "kept", "as"}


def corpus(language: str) -> list[dict]:
    return yaml.safe_load((CORPUS / f"{language}.yml").read_text(encoding="utf-8"))


def cases(personal: bool) -> list:
    return [
        pytest.param(case, id=f"{language}-{number}")
        for language in LANGUAGES
        for number, case in enumerate(corpus(language), 1)
        if ("gone" in case) == personal
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_corpus_case_says_what_goes_and_what_stays(language):
    # A misspelt key would make a case check nothing.
    for case in corpus(language):
        assert set(case) <= CASE_KEYS and isinstance(case["text"], str), case
        if "gone" in case:
            assert case["gone"] and case["as"], case
            assert all(fragment in case["text"] for fragment in case["gone"] + case.get("kept", [])), case


@pytest.mark.parametrize("case", cases(personal=True))
def test_personal_data_is_blanked(case):
    redacted = redact(case["text"])
    assert [fragment for fragment in case["gone"] if fragment in redacted] == [], redacted
    assert all(fragment in redacted for fragment in case.get("kept", [])), redacted
    assert all(placeholder in redacted for placeholder in case["as"]), redacted


@pytest.mark.parametrize("case", cases(personal=False))
def test_ordinary_salesperson_talk_is_kept(case):
    assert redact(case["text"]) == case["text"]


def test_the_users_own_characters_survive_around_what_is_blanked():
    text = "Perche\u0301 ｃｉａｏ: jose\u0301@empresa.es, ﬁne ½"
    assert redact(text) == "Perche\u0301 ｃｉａｏ: [email], ﬁne ½"


def test_sixteen_digits_that_fail_the_card_check_are_not_called_a_card():
    # An order number, say. Its digits are still blanked as a phone: erring on that side is the policy.
    assert redact("ordine 1234 5678 9012 3456") == f"ordine {PHONE}"


def test_a_phone_number_that_passes_the_card_check_is_still_a_phone():
    # 3461234567809 passes Luhn's check, but no card number starts with + or 0.
    assert redact("tel +34 612 345 678 09") == f"tel {PHONE}"
    assert redact("tel 0034 612 345 678 09") == f"tel {PHONE}"


def test_a_card_and_its_security_code_become_one_placeholder():
    assert redact("4111 1111 1111 1111, cvv 123 grazie") == f"{CARD} grazie"


def test_punctuation_after_a_blanked_link_survives():
    assert redact("vedi https://x.example.com/a?session=1.") == f"vedi {URL}."


def test_a_date_does_not_hide_the_phone_number_next_to_it():
    assert redact("12.03.2024 333 1234567") == f"12.03.2024 {PHONE}"
    assert redact("06.12.34.56.78") == PHONE


def test_a_long_random_token_is_a_secret_and_a_long_slug_is_not():
    assert redact("key 8f14e45fceea167a5a36dedd4bea2543") == f"key {SECRET}"
    assert redact("see getting-started-with-the-pipeline-view") == "see getting-started-with-the-pipeline-view"


# Long runs that a pattern could enter at every position and give up on near the end: each
# must come back right (the time they take is in bench/redaction.py, not here).
@pytest.mark.parametrize(
    "text, redacted",
    [
        ("a" * 4000, "a" * 4000),
        ("a." * 2000, "a." * 2000),
        ("a@" * 2000, "a@" * 2000),
        ("a" * 3999 + "@", "a" * 3999 + "@"),
        ("@" + "a" * 3999, "[user]"),
        ("1 " * 2000, f"{PHONE} "),
        ("1." * 2000, f"{PHONE}."),
        ("1-" * 2000, f"{PHONE}-"),
        ("1" * 4000, PHONE),
        ("(1" * 2000, PHONE),
        ("1\u200b" * 2000, f"{PHONE}\u200b"),
        ("a1" * 2000, SECRET),
        ("a-" * 2000, "a-" * 2000),
        ("-" * 4000, "-" * 4000),
        ("+" * 4000, "+" * 4000),
        ("a:" * 2000, "a:" * 2000),
        ("ab." * 1333, "ab." * 1333),
        ("eyJ" * 1333, "eyJ" * 1333),
        ("\u200b" * 4000, "\u200b" * 4000),
        ("e\u0301 " * 1333, "e\u0301 " * 1333),
        ("mario" + " [at] x" * 600, "mario" + " [at] x" * 600),
        ("x dot " * 800, "x dot " * 800),
        ("http://" + "a." * 1996, "http://" + "a." * 1996),
        ("pwd=" * 1000, f"pwd={SECRET}"),
        (
            "scrivi a mario.rossi@gmail.com " + "a" * 3000 + " o chiama il 333 1234567",
            "scrivi a [email] " + "a" * 3000 + " o chiama il [phone]",
        ),
    ],
    ids=lambda value: repr(value[:12]),
)
def test_hostile_input_is_redacted_correctly(text, redacted):
    assert redact(text) == redacted
