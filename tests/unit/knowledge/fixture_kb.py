"""A small, faithful knowledge base (two documents, two entries, one how-to) for tests to
plant one problem in: `faithful_files()` gives its files as data, `write_kb` writes them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.models import CONVERSATION_KEYS

PODCAST = "001_podcast.txt"
CUATRO_P = "002_cuatro_p.txt"

PODCAST_TEXT = """Perché molti progetti CRM falliscono?

Progetti CRM che vanno male
Io non ho tempo per queste cose io devo stare di più coi clienti! Ma no! Abbiamo comprato il CRM
proprio per farti avere più tempo per stare coi clienti.
Che tra il 30% e il 60% percento dei progetti CRM non va a buon fine.
Da uno studio di IDC fatto nel 2012emerge che gli skill di un team degradano di un 10% naturalmente ogni anno.
Il CRM non è “un evento” ma un processo: l’adozione richiede tempo.
"""

CUATRO_P_TEXT = """Las Cuatro P
Un proyecto de CRM puede ir mal por muchas razones.
Percepción
Los usuarios finales necesitan ver en el CRM un facilitador de su trabajo.
Si queréis que lo usen, explicad para qué sirve.
"""

SHORT = {
    "it": ["Lo so, la giornata è piena.", "Il CRM nasce per darti tempo.", "All'inizio costa fatica, poi meno."],
    "es": ["Lo sé, tu agenda va llena.", "El CRM existe para darte tiempo.", "Al principio cuesta, luego menos."],
    "en": ["I know, your day is packed.", "The CRM is there to give you time.", "It takes effort at first, then less."],
}
MORE = {
    "it": "Chi ha guidato questi progetti dice: «Abbiamo comprato il CRM proprio per farti avere più tempo per stare "
    "coi clienti». Le competenze calano del 10% l'anno, e «l'adozione richiede tempo».",
    "es": "Quien ha dirigido estos proyectos dice que el CRM se compra para que tengas más tiempo con los clientes.",
    "en": "People who led these projects say the CRM is bought so that you have more time with customers.",
}
TIP = {
    "it": "Registra ogni visita subito dopo.",
    "es": "Registra cada visita justo después.",
    "en": "Log each visit right after it.",
}


def _answer(language: str, topic: str, short: list) -> dict[str, Any]:
    return {
        "topic": topic,
        "short": list(short),
        "more": MORE[language],
        "tip": TIP[language],
        "for_leads": "Secondo 001, tra il 30% e il 60% dei progetti non va a buon fine."
        if language == "it"
        else {"es": "Mira dónde se pierde el tiempo.", "en": "Find out where the time goes."}[language],
    }


def _conversation(language: str) -> dict[str, Any]:
    texts: dict[str, Any] = {key: f"{key} ({language})" for key in CONVERSATION_KEYS}
    texts["greet"] = [f"Ciao ({language})", f"Salve ({language})"]
    texts["privacy"] = "Keep {text_clause} for {retention_days} days."
    texts["request_human"] = texts["howto_no_match"] = "Write to {help_contact}."
    texts["buttons"] = {
        key: f"{key}-{language}"
        for key in (
            "more",
            "tip",
            "helped",
            "not_helped",
            "erase",
            "keep",
            "leave_request",
            "no_request",
            "want_person",
        )
    }
    texts["labels"] = {
        "source": {"it": "Fonte", "es": "Fuente", "en": "Source"}[language],
        "more": "More",
        "practice": {"it": "Dalla pratica", "es": "De la práctica", "en": "From practice"}[language],
        "howto_source": "guides",
        "also": "Also",
    }
    return texts


def _howto() -> dict[str, Any]:
    text = {
        "title": "Log a call",
        "questions": ["how do I log a call?", "where do calls go?", "log a phone call"],
        "steps": ["Open the customer's record.", "Add an activity of type call and save it."],
    }
    return {"id": "log_a_call", "example": True, **{language: copy.deepcopy(text) for language in ("it", "es", "en")}}


def faithful_files() -> dict[str, Any]:
    """Relative path -> data (written as YAML) or text: a knowledge base every check passes."""
    files: dict[str, Any] = {
        "sources.yml": {
            "documents": {
                PODCAST: {
                    "title": "Perché molti progetti CRM falliscono?",
                    "outlet": "Merita Business Podcast",
                    "language": "it",
                },
                CUATRO_P: {"title": "Las cuatro P", "language": "es", "year": 2016},
            },
            "rules": {n: f"Regola {n}" for n in range(1, 11)},
        },
        f"sources/{PODCAST}": PODCAST_TEXT,
        f"sources/{CUATRO_P}": CUATRO_P_TEXT,
        "answers/objection_no_time.yml": {
            "intent": "objection_no_time",
            "sources": [
                {"document": PODCAST, "section": "Progetti CRM che vanno male"},
                {"document": CUATRO_P, "section": "«Percepción»"},
                {"document": PODCAST, "section": "il CRM non è “un evento”"},
            ],
            "four_ps": ["perception"],
            "rules": [3],
            **{language: _answer(language, "Non ho tempo", SHORT[language]) for language in SHORT},
        },
        "answers/ask_failure_causes.yml": {
            "intent": "ask_failure_causes",
            "sources": [{"document": CUATRO_P, "section": "Las Cuatro P"}],
            **{language: _answer(language, "Perché falliscono", SHORT[language][:2]) for language in SHORT},
        },
        "howto/log_a_call.yml": _howto(),
    }
    files["answers/ask_failure_causes.yml"]["it"]["more"] = "Un progetto di CRM può andare male per molte ragioni."
    files["answers/ask_failure_causes.yml"]["it"]["for_leads"] = "Guarda le quattro P."
    for language in ("it", "es", "en"):
        files[f"conversation/{language}.yml"] = _conversation(language)
    return copy.deepcopy(files)


def write_kb(root: Path, files: dict[str, Any]) -> Path:
    """Writes `files` under root/knowledge and returns that folder."""
    knowledge = root / "knowledge"
    for relative, content in files.items():
        path = knowledge / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")
    return knowledge
