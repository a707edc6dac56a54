"""Chat shorthand written out in full, for the sentence encoders' eyes only.

Salespeople type on a phone: "nn ho tempo x il crm", "xq tengo q llenar esto", "idk why u
need this". Character n-grams learn such spellings from the training data, but E5 and USE
were trained on edited text, where "nn" and "xq" are rare tokens with little meaning. The
encoders read the message with its shorthand expanded ("non ho tempo per il crm"); the
sparse features and everything stored keep the text as it was written.

Only whole words are replaced, from one table per language, so a word that is shorthand in
one language and a word in another ("pero": Italian "però", Spanish "but") is left alone
where it is a word. The pattern matches runs of word characters: linear on any input.
"""

from __future__ import annotations

import re

# Whole words only; each entry a spelling salespeople use in chat and the word it stands for.
SHORTHAND: dict[str, dict[str, str]] = {
    "it": {
        "nn": "non",
        "x": "per",
        "cmq": "comunque",
        "cm": "come",
        "xke": "perché",
        "xké": "perché",
        "xkè": "perché",
        "xche": "perché",
        "xché": "perché",
        "xchè": "perché",
        "perche": "perché",
        "perchè": "perché",
        "xo": "però",
        "xò": "però",
        "pero": "però",
        "ke": "che",
        "ki": "chi",
        "anke": "anche",
        "tt": "tutto",
        "sn": "sono",
        "cn": "con",
        "nnt": "niente",
        "qlc": "qualcosa",
        "qlcs": "qualcosa",
        "qcs": "qualcosa",
        "qst": "questo",
        "qsto": "questo",
        "qsta": "questa",
        "dv": "devo",
        "msg": "messaggio",
        "piu": "più",
        "gia": "già",
        "cosi": "così",
        "puo": "può",
        "cioe": "cioè",
        "tbh": "sinceramente",
    },
    "es": {
        "q": "que",
        "k": "que",
        "ke": "que",
        "xq": "porque",
        "pq": "porque",
        "porq": "porque",
        "xk": "porque",
        "tb": "también",
        "tmb": "también",
        "tambien": "también",
        "x": "por",
        "d": "de",
        "pa": "para",
        "ns": "no sé",
        "nd": "nada",
        "xfa": "por favor",
        "bn": "bien",
        "toy": "estoy",
        "dnd": "dónde",
        "cdo": "cuando",
        "msj": "mensaje",
        "mñn": "mañana",
        "asi": "así",
        "aqui": "aquí",
        "ademas": "además",
        "despues": "después",
        "todavia": "todavía",
    },
    "en": {
        "u": "you",
        "ur": "your",
        "r": "are",
        "idk": "I don't know",
        "dunno": "don't know",
        "pls": "please",
        "plz": "please",
        "bc": "because",
        "cuz": "because",
        "coz": "because",
        "tho": "though",
        "thx": "thanks",
        "ppl": "people",
        "rn": "right now",
        "imo": "in my opinion",
        "tbh": "to be honest",
        "msg": "message",
        "im": "I'm",
        "dont": "don't",
        "cant": "can't",
        "wont": "won't",
        "doesnt": "doesn't",
        "didnt": "didn't",
        "isnt": "isn't",
    },
}

_WORD = re.compile(r"\w+")


def expand(text: str, language: str | None) -> str:
    """The text with the language's chat shorthand written out; unchanged for another language."""
    table = SHORTHAND.get(language or "")
    if not table:
        return text

    def written_out(match: re.Match[str]) -> str:
        word = match.group(0)
        return table.get(word.lower(), word)

    return _WORD.sub(written_out, text)
