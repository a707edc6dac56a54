"""Language identification: trained on labelled examples; hints and memory when the text says too little."""

from __future__ import annotations

import pytest

from bot.nlu import language

EXAMPLES = {
    "it": [
        "non ho tempo per il crm",
        "i clienti sono miei",
        "mi sento stupido",
        "il mio capo vuole excel",
        "grazie mille",
        "ciao come stai",
        "non mi hanno mai spiegato niente",
        "che senso ha tutto questo",
    ],
    "es": [
        "no tengo tiempo para el crm",
        "los clientes son míos",
        "me siento tonto",
        "mi jefe quiere excel",
        "muchas gracias",
        "hola qué tal",
        "nadie me explicó nada",
        "qué sentido tiene todo esto",
    ],
    "en": [
        "i have no time for the crm",
        "the clients are mine",
        "i feel stupid",
        "my boss wants excel",
        "thanks a lot",
        "hi how are you",
        "nobody ever explained anything",
        "what is the point of all this",
    ],
}


@pytest.fixture(scope="module")
def model():
    texts = [t for lang in EXAMPLES for t in EXAMPLES[lang]]
    labels = [lang for lang in EXAMPLES for _ in EXAMPLES[lang]]
    return language.train(texts, labels)


@pytest.mark.parametrize(
    "text, expected",
    [("non ho proprio tempo", "it"), ("no tengo tiempo", "es"), ("i have no time at all", "en")],
)
def test_clear_text_decides_the_language(model, text, expected):
    assert language.identify(model, text, hint="en" if expected != "en" else "it") == (expected, language.FROM_TEXT)


@pytest.mark.parametrize("text", ["ok", "/ask_more", "CRM", "👍"])
def test_text_without_evidence_follows_the_hint(model, text):
    assert language.identify(model, text, hint="es") == ("es", language.FROM_HINT)


def test_without_evidence_or_hint_it_guesses_one_of_the_three(model):
    detected, decided_by = language.identify(model, "ok", hint="fr")
    assert detected in language.LANGUAGES and decided_by == language.GUESSED


def test_the_reply_keeps_the_conversation_language_unless_the_text_is_clear():
    assert language.reply_language("en", language.GUESSED, remembered="it") == "it"
    assert language.reply_language("es", language.FROM_HINT, remembered="it") == "it"
    assert language.reply_language("es", language.FROM_TEXT, remembered="it") == "es"
    assert language.reply_language("es", language.FROM_HINT, remembered=None) == "es"
    assert language.reply_language(None, None, remembered=None) in language.LANGUAGES


def test_a_chosen_language_wins_over_everything():
    assert language.reply_language("it", "text", "es", hint="en", chosen="es") == "es"


def test_a_command_in_a_new_conversation_follows_the_channels_hint():
    # "/start" has no text to read: the Telegram or Slack locale decides the welcome's language.
    assert language.reply_language(None, None, None, hint="es") == "es"
    assert language.reply_language("it", "guess", None, hint="es") == "es"
    assert language.reply_language("it", "text", None, hint="es") == "it"
    assert language.reply_language(None, None, "it", hint="es") == "it"
