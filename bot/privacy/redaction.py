"""Personal data is blanked out of a message before anything stores it.

Salespeople paste what is on their screen: a client's e-mail, a phone number, an
IBAN, a link to a CRM record with a session token. None of that helps the coach
answer, and all of it would turn the adoption log into a file of personal data.
The patterns err on the side of blanking: a blanked order number costs nothing,
a stored phone number breaks the promise in /privacy.

How: the text is folded for matching only (NFKC, so a full-width ＠ or ３ reads as @ or 3,
and without invisible characters, so a zero-width space cannot split a number); each rule
finds spans in the folded text; overlapping spans merge; the spans are blanked in the
original, so everything else keeps the user's own characters.

The time stays proportional to the text whatever it holds (a client decides what it holds):
in every pattern, a repetition is bounded, or may only start where its run starts (a
lookbehind), and consecutive parts never match the same characters, so a failed attempt
gives up after one pass over its run instead of retrying from each position inside it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from re import Match

EMAIL = "[email]"
PHONE = "[phone]"
IBAN = "[iban]"
CARD = "[card]"
URL = "[url]"
PERSONAL_ID = "[id]"
SECRET = "[secret]"
ACCOUNT = "[user]"

# When two kinds claim the same characters, the wider claim names them; on a tie, the earlier here.
_PRECEDENCE = (URL, EMAIL, ACCOUNT, IBAN, PERSONAL_ID, CARD, PHONE, SECRET)

Span = tuple[int, int, str]

# --- folding -----------------------------------------------------------------------------

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_ACCENTS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# A stretch of ASCII that no combining accent follows, or one character with its accents (a few:
# more are a cluster of their own, and the cache below keeps only short keys).
_CLUSTER = re.compile(f"(?:[\\x00-\\x7f](?![{_ACCENTS}]))+|.[{_ACCENTS}]{{0,4}}", re.DOTALL)


@functools.lru_cache(maxsize=4096)
def _fold_cluster(cluster: str) -> str:
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", cluster))


@dataclass(frozen=True)
class _Folded:
    """The text rules read, and where each of its characters came from in the user's text."""

    text: str
    starts: array | None = None  # None: the text is the user's own
    ends: array | None = None

    def original(self, start: int, end: int) -> tuple[int, int]:
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _fold(text: str) -> _Folded:
    if text.isascii() or (unicodedata.is_normalized("NFKC", text) and not _INVISIBLE.search(text)):
        return _Folded(text)
    pieces: list[str] = []
    starts, ends = array("q"), array("q")
    for cluster in _CLUSTER.finditer(text):
        start, end = cluster.span()
        if cluster.group().isascii():
            pieces.append(cluster.group())
            starts.extend(range(start, end))
            ends.extend(range(start + 1, end + 1))
        else:
            folded = _fold_cluster(cluster.group())
            pieces.append(folded)
            starts.extend([start] * len(folded))
            ends.extend([end] * len(folded))
    return _Folded("".join(pieces), starts, ends)


# --- e-mail addresses ----------------------------------------------------------------------


def _dressed(words: str) -> str:
    """'@' or '.' written as a word: 'mario [at] gmail [dot] com', 'juan arroba empresa punto es'."""
    bracketed = rf"\s{{0,3}}[(\[{{<]\s{{0,2}}(?:{words})\s{{0,2}}[)\]}}>]\s{{0,3}}"
    spelled = rf"\s{{1,3}}(?:{words})\s{{1,3}}"
    return f"{bracketed}|{spelled}"


_DRESSED_DOT = _dressed("dot|punto")
_LOCAL_PART = r"[\w.+%-]{1,64}"
_LABEL = r"[\w-]{1,63}"
_EMAIL = re.compile(
    rf"(?<![\w.+%-])(?P<local>{_LOCAL_PART}(?:(?:{_DRESSED_DOT}){_LOCAL_PART}){{0,4}})"
    rf"(?P<at>\s{{0,3}}@\s{{0,3}}|{_dressed('at|arroba|chiocciola')})"
    rf"(?P<domain>{_LABEL}(?:(?:\.|{_DRESSED_DOT}){_LABEL}){{0,8}})",
    re.IGNORECASE,
)
_PLAIN = re.compile(r"[\w.+%-]+")
_NOT_LABEL = re.compile(r"[^\w-]")
# 'at' is also an English word: 'look at google.com' is not an address, 'anna at gmail.com' is.
_MAIL_PROVIDERS = {"gmail", "googlemail", "hotmail", "outlook", "live", "yahoo", "icloud", "aol", "gmx", "proton"}
_MAIL_PROVIDERS |= {"protonmail", "libero", "virgilio", "tiscali", "alice", "tim", "fastwebnet", "email", "mail"}


def _is_address(match: Match) -> bool:
    local, at, domain = match["local"], match["at"].strip().lower(), match["domain"]
    labels = _NOT_LABEL.split(domain, maxsplit=1)
    dotted, provider = len(labels) > 1, labels[0].lower() in _MAIL_PROVIDERS
    address_like = any(c in "._+" or c.isdigit() for c in local)
    if at != "at":
        return dotted or provider  # 'mario@gmail' is an address, '/privacy@CoachBot' is not
    if not dotted:
        return provider and address_like  # 'mario.rossi at gmail', not 'we met at live'
    dressed = not (_PLAIN.fullmatch(local) and _PLAIN.fullmatch(domain))
    return provider or dressed or address_like  # 'jane.smith at outlook.com', not 'look at google.com'


def _emails(text: str) -> Iterator[Span]:
    position = 0
    while match := _EMAIL.search(text, position):
        if _is_address(match):
            yield match.start(), match.end(), EMAIL
            position = match.end()
        else:  # 'her at jane.smith at outlook.com': the next address may start inside this one
            position = match.start("domain")


# --- links -------------------------------------------------------------------------------

_URL = re.compile(
    r"(?<![\w@.+%-])(?:[a-z][a-z0-9+.-]{0,15}://|www\.|(?!mailto:)[\w.%+-]{1,64}:[^\s@/:]{1,64}@"
    r"|[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}[/?#])[^\s<>\"']*",
    re.IGNORECASE,
)
_TOKEN_KEYS = re.compile(r"token|key|sig|signature|auth|session|sid|code|password|pwd|secret|access", re.IGNORECASE)


def _links(text: str) -> Iterator[Span]:
    """A link with credentials, a query, a fragment or a token-like part is blanked whole."""
    for match in _URL.finditer(text):
        link = match.group().rstrip(".,;:!?)")
        address = link.split("://", 1)[-1]
        has_state = any(mark in address for mark in "?#@") or _TOKEN_KEYS.search(address.partition("/")[2])
        if has_state or _holds_secret(address):
            yield match.start(), match.start() + len(link), URL


# --- keys, tokens, passwords, accounts -------------------------------------------------------

_TOKEN = re.compile(r"(?<![A-Za-z0-9_+/-])[A-Za-z0-9_+/-]{20,}={0,2}")
_TOKEN_PARTS = re.compile(r"[-_/+=]")
_CAPITALS = re.compile(r"[A-Z]{2}")


def _looks_random(token: str) -> bool:
    """A generated key or id, not a slug: some part is neither a word nor short."""

    def wordlike(part: str) -> bool:  # 'pipelines', 'SalesReport', 'EUR', '2024', 'v2'
        return len(part) <= 6 or (part.isalpha() and (part.isupper() or not _CAPITALS.search(part)))

    return not all(wordlike(part) for part in _TOKEN_PARTS.split(token))


def _holds_secret(text: str) -> bool:
    return any(_looks_random(token) for token in _TOKEN.findall(text))


_KEY = re.compile(
    r"(?<![A-Za-z0-9_-])(?:(?:sk|pk|rk)[-_]|xox[abposr]-|xapp-|gh[pousr]_|github_pat_|glpat-|AIza)[A-Za-z0-9_-]{10,}"
    r"|(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"
    r"|(?<![\w-])eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*"
)
_LABELLED = re.compile(
    r"(?:(?<![\w-])(?:password|passwd|passcode|passphrase|pwd|pass|contraseña|contrasena|clave|token|pin|otp"
    r"|access[_-]?token|api[_-]?key|apikey|secret|client[_-]?secret)\s{0,3}[:=]|(?<![\w-])bearer\s)\s{0,3}(?P<value>\S+)",
    re.IGNORECASE,
)


def _secrets(text: str) -> Iterator[Span]:
    for match in _KEY.finditer(text):
        if _looks_random(match.group()):
            yield match.start(), match.end(), SECRET
    for match in _LABELLED.finditer(text):
        yield match.start("value"), match.end("value"), SECRET
    for match in _TOKEN.finditer(text):
        if _looks_random(match.group()):
            yield match.start(), match.end(), SECRET


# Slack's <@U012ABC> or <@U012ABC|anna>; a Telegram (or any) @username.
_ACCOUNT = re.compile(r"<@[UW][A-Z0-9]{2,20}(?:\|[^<>\n]{0,80})?>|(?<![\w@.+-])@[A-Za-z][A-Za-z0-9_]{2,}")


def _accounts(text: str) -> Iterator[Span]:
    for match in _ACCOUNT.finditer(text):
        yield match.start(), match.end(), ACCOUNT


# --- IBANs and personal ids ------------------------------------------------------------------

# How many letters and digits an IBAN has, by country (the SWIFT registry).
_IBAN_COUNTRIES_BY_LENGTH = {
    15: "NO",
    16: "BE",
    18: "DK FI FK FO GL NL SD",
    19: "MK SI",
    20: "AT BA EE KZ LT LU MN XK",
    21: "CH HR LI LV",
    22: "BG BH CR DE GB GE IE ME RS VA",
    23: "AE GI IL IQ OM SO TL",
    24: "AD CZ ES MD PK RO SA SE SK TN VG",
    25: "LY PT ST",
    26: "IS TR",
    27: "BI DJ FR GR IT MC MR SM",
    28: "AL AZ BY CY DO GT HU LB NI PL SV",
    29: "BR EG PS QA UA",
    30: "JO KW MU YE",
    31: "MT SC",
    32: "LC",
    33: "RU",
}
_IBAN_LENGTHS = {
    country: length for length, countries in _IBAN_COUNTRIES_BY_LENGTH.items() for country in countries.split()
}
# Country, check digits, then the account's letters and digits however they are grouped or spaced.
_IBAN = re.compile(
    r"(?<![a-z0-9])(?P<country>[a-z]{2})[ \t-]{0,2}\d{2}(?P<account>(?:[ \t-]{0,2}[a-z0-9]){11,30})", re.IGNORECASE
)


def _iban_end(match: Match, text: str) -> int | None:
    """Where the IBAN ends: after its country's length in letters and digits, mostly digits."""
    length = _IBAN_LENGTHS.get(match["country"].upper())
    if length is None:
        return None
    wanted, seen, digits = length - 4, 0, 0
    for offset, char in enumerate(match["account"]):
        if char.isalnum():
            seen, digits = seen + 1, digits + char.isdigit()
            if seen == wanted:
                end = match.start("account") + offset + 1
                if digits * 2 < wanted:  # words, as in 'es 12 de marzo y sigo sin acceso'
                    return None
                while end < len(text) and text[end].isalnum():  # one too many is still an IBAN
                    end += 1
                return end
    return None


def _ibans(text: str) -> Iterator[Span]:
    position = 0
    while match := _IBAN.search(text, position):
        end = _iban_end(match, text)
        if end is None:
            position = match.start() + 1
        else:
            yield match.start(), end, IBAN
            position = end


_CF_DIGIT = "[0-9lmnpqrstuv]"  # a repeated code swaps digits for these letters
_PERSONAL_ID = re.compile(
    r"(?<![a-z0-9])(?:"
    rf"[a-z]{{3}} ?[a-z]{{3}} ?{_CF_DIGIT}{{2}}[abcdehlmprst]{_CF_DIGIT}{{2}} ?[a-z]{_CF_DIGIT}{{3}} ?[a-z]"  # codice fiscale
    r"|\d{2}\.?\d{3}\.?\d{3}[ -]?[a-z]"  # DNI
    r"|[xyz][ -]?\d{7}[ -]?[a-z]"  # NIE
    r")(?![a-z0-9])",
    re.IGNORECASE,
)


def _personal_ids(text: str) -> Iterator[Span]:
    for match in _PERSONAL_ID.finditer(text):
        yield match.start(), match.end(), PERSONAL_ID


# --- phone and card numbers -------------------------------------------------------------------

_MIN_PHONE_DIGITS = 8
# Digits in groups, joined by spaces, dots, dashes of any width, slashes or brackets.
_NUMBER = re.compile(r"(?<![\d+(])[+(]{0,2}\d+(?:[ \t./()\-\u2010-\u2015\u2212]{1,4}\d+)*")
_DIGITS = re.compile(r"\d+")
_SECURITY_CODE = r"(?<![a-z])(?:cvv2?|cvc2?|cid|csc)(?![a-z])[\s:=.#-]{0,3}\d{3,4}(?!\d)"
_CODE_AFTER_CARD = re.compile(rf"[\s,;]{{0,3}}{_SECURITY_CODE}", re.IGNORECASE)
_CODE_ALONE = re.compile(_SECURITY_CODE, re.IGNORECASE)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_card(groups: list[str], prefixed: bool) -> bool:
    """A card number (maybe followed by its expiry or code): 13-19 digits up to a group's end
    pass Luhn's check. Phone numbers start with + or 0; card numbers never do."""
    if prefixed or groups[0][0] == "0":
        return False
    digits = ""
    for group in groups:
        digits += group
        if len(digits) > 19:
            return False
        if len(digits) >= 13 and _luhn_valid(digits):
            return True
    return False


def _is_date(day: str, month: str, year: str) -> bool:
    if len(day) == 4:  # 2024-03-12
        day, year = year, day
    if len(day) > 2 or len(month) > 2 or len(year) not in (2, 4):
        return False
    first, second = int(day), int(month)
    return 1 <= first <= 31 and 1 <= second <= 31 and min(first, second) <= 12


def _is_year_range(groups: list[str]) -> bool:
    """2023-2024, 2023/2024: eight digits, and no phone number."""
    years = [int(group) for group in groups if len(group) == 4]
    return len(groups) == 2 and len(years) == 2 and 1900 <= years[0] <= years[1] <= 2099


_DATE_MARKS = ("/", ".", "-")


def _is_time(hours: str, minutes: str) -> bool:
    return len(hours) <= 2 and int(hours) <= 23 and len(minutes) == 2 and int(minutes) <= 59


def _without_dates(text: str, groups: list[tuple[int, int]]) -> Iterator[list[int]]:
    """The indexes of `groups` split where a date (12/03/2024, 2024-03-12) or a time (10.30)
    stands on its own: 06.12.34.56.78 goes on with the same separator, so it is neither."""

    joints = [text[end:start] for (_, end), (start, _) in zip(groups, groups[1:], strict=False)]

    def separator(index: int) -> str | None:
        return joints[index] if 0 <= index < len(joints) else None

    def alone(index: int, size: int, marks: tuple[str, ...]) -> bool:
        """`size` groups from `index` joined by one of `marks`, and not by it to the groups around."""
        mark = separator(index)
        return (
            mark in marks
            and all(separator(index + offset) == mark for offset in range(1, size - 1))
            and mark not in (separator(index - 1), separator(index + size - 1))
        )

    def text_of(index: int, size: int) -> list[str]:
        return [text[start:end] for start, end in groups[index : index + size]]

    if not any(joint in _DATE_MARKS for joint in joints):
        yield list(range(len(groups)))
        return
    run: list[int] = []
    index = 0
    while index < len(groups):
        if alone(index, 3, _DATE_MARKS) and _is_date(*text_of(index, 3)):
            skip = 3
        elif alone(index, 2, (".",)) and _is_time(*text_of(index, 2)):
            skip = 2
        else:
            run.append(index)
            index += 1
            continue
        yield run
        run, index = [], index + skip
    yield run


def _numbers(text: str) -> Iterator[Span]:
    for number in _NUMBER.finditer(text):
        groups = [digits.span() for digits in _DIGITS.finditer(text, number.start(), number.end())]
        if sum(end - start for start, end in groups) < _MIN_PHONE_DIGITS:
            continue
        for run in _without_dates(text, groups):
            digits = [text[groups[index][0] : groups[index][1]] for index in run]
            if sum(map(len, digits)) < _MIN_PHONE_DIGITS or _is_year_range(digits):
                continue
            start = number.start() if run[0] == 0 else groups[run[0]][0]
            end = groups[run[-1]][1]
            if _is_card(digits, prefixed=start < groups[run[0]][0]):
                code = _CODE_AFTER_CARD.match(text, end)
                yield start, code.end() if code else end, CARD
            else:
                yield start, end, PHONE
    for match in _CODE_ALONE.finditer(text):
        yield match.start(), match.end(), CARD


# --- putting it together ----------------------------------------------------------------------

_RULES: list[Callable[[str], Iterator[Span]]] = [_links, _emails, _accounts, _ibans, _personal_ids, _numbers, _secrets]


def _merged(spans: list[Span]) -> list[Span]:
    """Overlapping spans become one, named by its widest part."""
    merged: list[Span] = []
    widest = (0, 0)
    for start, end, placeholder in sorted(spans):
        claim = (end - start, -_PRECEDENCE.index(placeholder))
        if merged and start < merged[-1][1]:
            previous_start, previous_end, previous = merged[-1]
            if claim > widest:
                previous, widest = placeholder, claim
            merged[-1] = (previous_start, max(previous_end, end), previous)
        else:
            merged.append((start, end, placeholder))
            widest = claim
    return merged


def redact(text: str) -> str:
    """`text` with e-mails, phone numbers, IBANs, card numbers, personal ids, keys, accounts
    and token links blanked."""
    folded = _fold(text)
    spans = [span for rule in _RULES for span in rule(folded.text)]
    pieces: list[str] = []
    done = 0
    for start, end, placeholder in _merged(spans):
        start, end = folded.original(start, end)
        pieces += [text[done : max(start, done)], placeholder]
        done = max(end, done)
    pieces.append(text[done:])
    return "".join(pieces)
