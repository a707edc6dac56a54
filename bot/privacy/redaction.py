"""Personal data is blanked out of a message before anything stores it.

Salespeople paste what is on their screen: a client's e-mail, a phone number, an
IBAN, a link to a CRM record with a session token. None of that helps the coach
answer, and all of it would turn the adoption log into a file of personal data.
The patterns err on the side of blanking: a blanked order number costs nothing,
a stored phone number breaks the promise in /privacy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from re import Match

EMAIL = "[email]"
PHONE = "[phone]"
IBAN = "[iban]"
CARD = "[card]"
URL = "[url]"
PERSONAL_ID = "[id]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# Country code, check digits, then groups of four capitals/digits (spaced or not), and a short last group.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
# 13-19 digits, optionally in groups: a card number if the Luhn check passes.
_CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
# An optional +/00 prefix, then 8-15 digits with spaces, dots, dashes or brackets.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d(?:[\s./-]?\(?\d\)?){7,14}(?![\w])")
# Italian codice fiscale; Spanish DNI and NIE.
_PERSONAL_ID = re.compile(
    r"\b(?:[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]|\d{8}-?[A-Z]|[XYZ]-?\d{7}-?[A-Z])\b", re.IGNORECASE
)
# Query keys and path segments that carry credentials or session state.
_SECRET_LOOKING = re.compile(r"[A-Za-z0-9_-]{20,}")
_TOKEN_KEYS = re.compile(r"(?:token|key|sig|signature|auth|session|sid|code|password|pwd|secret|access)", re.I)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    return CARD if _luhn_valid(digits) else match.group()


def _url(match: Match) -> str:
    """A link with credentials, a query, a fragment or a token-like segment is blanked whole."""
    url = match.group()
    trailing = ""
    while url and url[-1] in ".,;:!?)":
        url, trailing = url[:-1], url[-1] + trailing
    address = url.split("://", 1)[-1]
    has_state = any(mark in address for mark in ("?", "#", "@")) or _TOKEN_KEYS.search(address.split("/", 1)[-1])
    if has_state or _SECRET_LOOKING.search(address):
        return URL + trailing
    return url + trailing


def _phone(match: Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    return PHONE if 8 <= len(digits) <= 15 else match.group()


def _iban(match: Match) -> str:
    # Letters and digits must both appear after the check digits, or it is just a long word.
    rest = match.group()[4:]
    return IBAN if any(c.isdigit() for c in rest) else match.group()


# Order matters: links and e-mails first (they contain digits), cards before phones.
_RULES: list[tuple[re.Pattern, Callable[[Match], str]]] = [
    (_URL, _url),
    (_EMAIL, lambda m: EMAIL),
    (_IBAN, _iban),
    (_PERSONAL_ID, lambda m: PERSONAL_ID),
    (_CARD, _card),
    (_PHONE, _phone),
]


def redact(text: str) -> str:
    """`text` with e-mails, phone numbers, IBANs, card numbers, personal ids and token links blanked."""
    for pattern, replace in _RULES:
        text = pattern.sub(replace, text)
    return text
