"""Which language a message is in, and which language the coach must reply in.

A classifier trained on the project's own training data (each intent block says its
language) recognises Italian, Spanish and English even in short, misspelt chat
messages. When the text gives no reliable evidence ("ok", "CRM", a button payload)
the channel's hint or the conversation's language decides, so the reply does not
flip language on a one-word message.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.nlu.text_classifier import TextClassifier, train_text_classifier
from bot.settings import LANGUAGES

# Below these, the text is not evidence enough to switch language.
MIN_CONFIDENCE = 0.75
MIN_LETTERS = 4

FROM_TEXT, FROM_HINT, GUESSED = "text", "hint", "guess"


def train(texts: Sequence[str], languages: Sequence[str]) -> TextClassifier:
    return train_text_classifier(texts, languages, char_ngrams=(1, 4), word_ngrams=(1, 1))


def is_payload(text: str) -> bool:
    """A button or command payload (\"/ask_more\"): Rasa takes its intent from the text itself."""
    return text.lstrip().startswith("/")


def identify(model: TextClassifier, text: str, hint: str | None = None) -> tuple[str, str]:
    """(language, how it was decided): from the text, from the channel's hint, or guessed."""
    if is_payload(text):  # a button's payload says nothing about the language: skip the model
        return (hint, FROM_HINT) if hint in LANGUAGES else (LANGUAGES[-1], GUESSED)
    probabilities = model.probabilities(text)
    best = max(probabilities, key=lambda name: probabilities[name])
    letters = sum(ch.isalpha() for ch in text)
    if letters >= MIN_LETTERS and probabilities[best] >= MIN_CONFIDENCE:
        return best, FROM_TEXT
    if hint in LANGUAGES:
        return hint, FROM_HINT
    return best, GUESSED


def reply_language(
    parsed: str | None,
    decided_by: str | None,
    remembered: str | None,
    hint: str | None = None,
    chosen: str | None = None,
) -> str:
    """The user's choice (/lang) first; else the text's language when it is clear, else the
    conversation's, else the channel's hint (a command like /start has no text), else the parse's."""
    if chosen in LANGUAGES:
        return chosen
    if decided_by == FROM_TEXT or remembered not in LANGUAGES:
        if decided_by != FROM_TEXT and hint in LANGUAGES:
            return hint
        return parsed if parsed in LANGUAGES else LANGUAGES[-1]
    return remembered
