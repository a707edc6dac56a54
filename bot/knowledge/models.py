"""The declared shape of every knowledge file, one pydantic model per kind of file.

This module owns what a single file must look like: `answers/<intent>.yml`
(`EntryFile`), `conversation/<lang>.yml` (`ConversationFile`), `sources.yml`
(`SourcesFile`) and `howto/<id>.yml` (`HowToFile`). `validate` parses a file's data
and turns every validation error into a trainer-readable 'field: what' line
(`it.short[2]: must be a non-empty text`). What needs more than one file (an
answer's document listed in sources.yml, a file name matching its `intent:`) is
checked by `base`; whether the content is faithful to the documents, by `fidelity`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

from pydantic import BaseModel, Extra, StrictBool, ValidationError, conint, constr, root_validator, validator

RULE_NUMBERS = range(1, 11)
HOWTO_TITLE_MAX_WORDS = 10
HOWTO_STEP_MAX_WORDS = 40

if TYPE_CHECKING:  # pydantic's constrained types are plain values at type-checking time
    Text = str
    Year = int
else:
    Text = constr(strict=True, strip_whitespace=True, min_length=1)  # a non-empty text, stripped
    Year = conint(strict=True, ge=1900, le=2100)
Language = Literal["it", "es", "en"]
FourP = Literal["processes", "perception", "privacy", "politics"]
RuleNumber = Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
FOUR_PS: tuple[str, ...] = get_args(FourP)  # the root causes of 004, for adoption leads

# Pydantic's error types, said the way a trainer reads them.
MESSAGES = {
    "value_error.missing": "is missing",
    "value_error.extra": "is not a known field (a typo?)",
    "type_error.none.not_allowed": "must not be empty",
    "type_error.str": "must be a text",
    "value_error.any_str.min_length": "must be a non-empty text",
    "type_error.dict": "must be a mapping of keys to values",
    "type_error.list": "must be a list",
    "type_error.tuple": "must be a list",
    "type_error.sequence": "must be a list",
    "value_error.strictbool": "must be true or false",
    "type_error.integer": "must be a whole number",
}


class _Model(BaseModel):
    class Config:
        extra = Extra.forbid
        frozen = True  # loaded knowledge is shared by every reply: nobody changes it in place


class _Open(_Model):
    """A mapping with declared keys that also accepts further keys whose values are texts."""

    class Config:
        extra = Extra.allow

    @root_validator
    @classmethod
    def _extra_values_are_texts(cls, values: dict[str, Any]) -> dict[str, Any]:
        bad = [key for key, value in values.items() if key not in cls.__fields__ and not _is_text(value)]
        if bad:
            raise ValueError(f"{', '.join(map(str, bad))}: must be a non-empty text")
        return values


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _as_list(value: Any) -> Any:
    """A single text where alternatives are allowed counts as a list of one."""
    return [value] if isinstance(value, str) else value


def _alternatives(
    texts: tuple[str, ...], minimum: int, what: str = "", noun: str = "alternative texts"
) -> tuple[str, ...]:
    """Checks a list of alternatives: enough of them, none twice (`what` names an extra key)."""
    prefix = f"{what}: " if what else ""
    if len(texts) < minimum:
        raise ValueError(f"{prefix}needs at least {minimum} {noun}, has {len(texts)}")
    if len(set(texts)) != len(texts):
        raise ValueError(f"{prefix}has the same text twice")
    return texts


def _at_most_words(text: str, limit: int) -> str:
    if len(text.split()) > limit:
        raise ValueError(f"must be short: at most {limit} words, has {len(text.split())}")
    return text


# --- answers/<intent>.yml ---------------------------------------------------------


class Source(_Model):
    document: Text  # a file name listed in sources.yml
    section: Text  # the heading or passage of the document the answer draws on


class Answer(_Model):
    """What the coach says about one intent in one language."""

    topic: Text
    short: tuple[Text, ...]
    more: Text
    tip: Text
    for_leads: Text

    # Short answers a trainer retired (copied exactly from `short`): kept in the file, and still
    # checked against the documents, but no longer given; at least one must stay active.
    retired: tuple[Text, ...] = ()

    _short_as_list = validator("short", pre=True, allow_reuse=True)(_as_list)
    _retired_as_list = validator("retired", pre=True, allow_reuse=True)(_as_list)

    @validator("short")
    @classmethod
    def _two_alternatives(cls, short: tuple[str, ...]) -> tuple[str, ...]:
        return _alternatives(short, minimum=2)

    @validator("retired")
    @classmethod
    def _retired_are_short_answers(cls, retired: tuple[str, ...], values: dict[str, Any]) -> tuple[str, ...]:
        short = values.get("short")
        if short is None:  # `short` itself is wrong: that is the problem to report
            return retired
        unknown = [text for text in retired if text not in short]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not one of the short answers: copy it from short: exactly")
        if set(short) <= set(retired):
            raise ValueError("at least one short answer must stay active: write a new one before retiring the last")
        return retired

    @property
    def active(self) -> tuple[int, ...]:
        """The positions in `short` of the answers still given."""
        return tuple(n for n, text in enumerate(self.short) if text not in self.retired)


class EntryFile(_Model):
    intent: Text
    sources: tuple[Source, ...]
    four_ps: tuple[FourP, ...] = ()
    rules: tuple[RuleNumber, ...] = ()
    it: Answer
    es: Answer
    en: Answer

    @validator("sources")
    @classmethod
    def _at_least_one(cls, sources: tuple[Source, ...]) -> tuple[Source, ...]:
        if not sources:
            raise ValueError("must list at least one source document")
        return sources


# --- sources.yml ------------------------------------------------------------------


class Document(_Model):
    title: Text  # the document's own title, in its language
    outlet: Text | None = None  # who published or wrote it, only where the document says so
    language: Language
    year: Year | None = None  # only where the text states it
    # "company": the company's own document, uploaded by a trainer (bot/knowledge/documents.py);
    # its source line says so instead of naming a publisher.
    kind: Literal["published", "company"] = "published"

    def __str__(self) -> str:
        return self.title


class SourcesFile(_Model):
    documents: dict[str, Document]
    rules: dict[int, Text]  # the titles of the 10-rules article (001), by number

    @validator("documents")
    @classmethod
    def _some_documents(cls, documents: dict[str, Document]) -> dict[str, Document]:
        if not documents:
            raise ValueError("must list at least one document")
        return documents

    @validator("rules")
    @classmethod
    def _every_rule(cls, rules: dict[int, str]) -> dict[int, str]:
        missing = [n for n in RULE_NUMBERS if n not in rules]
        if missing:
            raise ValueError(f"needs the title of every rule 1-10; missing: {', '.join(map(str, missing))}")
        return rules


# --- conversation/<lang>.yml ------------------------------------------------------


class Buttons(_Open):
    more: Text
    tip: Text
    helped: Text
    not_helped: Text
    erase: Text
    keep: Text
    leave_request: Text
    no_request: Text
    want_person: Text


class Labels(_Open):
    source: Text  # before the citation: "Fonte: Merita Business Podcast, «...»"
    more: Text  # before "tell me more"
    practice: Text  # before a tip, the coach's own practice: "Dalla pratica"
    howto_source: Text  # what a how-to answer cites: the company's own CRM guides
    also: Text  # before the second objection of a message, offered as a button: "Anche: Non ho tempo"


class ConversationFile(_Model):
    """The texts of the conversation itself; each is a text or a list of alternatives.

    Further keys are allowed (texts for new intents) and must be texts or lists of texts.
    """

    class Config:
        extra = Extra.allow

    greet: tuple[Text, ...]
    goodbye: tuple[Text, ...]
    thanks: tuple[Text, ...]
    affirm: tuple[Text, ...]
    deny: tuple[Text, ...]
    help: tuple[Text, ...]
    bot_challenge: tuple[Text, ...]
    privacy: tuple[Text, ...]  # with {text_clause} and {retention_days}, filled in from the settings
    privacy_text_kept: tuple[Text, ...]
    privacy_text_not_kept: tuple[Text, ...]
    forget: tuple[Text, ...]
    forgotten: tuple[Text, ...]
    forget_kept: tuple[Text, ...]
    forget_failed: tuple[Text, ...]  # erasing failed: nothing is promised; may name {help_contact}
    out_of_scope: tuple[Text, ...]
    not_understood: tuple[Text, ...]
    topics_intro: tuple[Text, ...]
    feedback_helpful: tuple[Text, ...]
    feedback_not_helpful: tuple[Text, ...]
    no_topic_yet: tuple[Text, ...]
    language_set: tuple[Text, ...]
    language_usage: tuple[Text, ...]
    unsupported_message: tuple[Text, ...]
    edited_message: tuple[Text, ...]
    not_allowed: tuple[Text, ...]
    joined: tuple[Text, ...]
    join_locked: tuple[Text, ...]  # too many wrong join codes
    coach_unavailable: tuple[Text, ...]
    # A person to talk to, and how-to questions about the company's own CRM; the texts
    # marked {help_contact} get COACH_HELP_CONTACT, or help_contact_default when it is unset.
    help_contact_default: tuple[Text, ...]
    request_human: tuple[Text, ...]  # with {help_contact}
    human_requested: tuple[Text, ...]
    human_not_requested: tuple[Text, ...]
    howto_no_match: tuple[Text, ...]  # with {help_contact}
    howto_example_note: tuple[Text, ...]
    buttons: Buttons
    labels: Labels

    _texts_as_lists = validator("*", pre=True, allow_reuse=True)(
        lambda value: value if isinstance(value, dict) else _as_list(value)
    )

    @validator("*")
    @classmethod
    def _distinct(cls, value: Any) -> Any:
        return _alternatives(value, minimum=1) if isinstance(value, tuple) else value

    @root_validator
    @classmethod
    def _extra_texts(cls, values: dict[str, Any]) -> dict[str, Any]:
        extra = {key: _as_list(value) for key, value in values.items() if key not in cls.__fields__}
        bad = [key for key, value in extra.items() if not isinstance(value, list) or not all(map(_is_text, value))]
        if bad:
            raise ValueError(f"{', '.join(bad)}: must be a text or a list of non-empty texts")
        texts = {key: tuple(text.strip() for text in value) for key, value in extra.items()}
        for key, value in texts.items():
            _alternatives(value, minimum=1, what=key)
        return {**values, **texts}

    def texts(self) -> dict[str, tuple[str, ...]]:
        """Every conversation text by key (declared and further ones), without buttons and labels."""
        return {key: value for key, value in self.__dict__.items() if key not in ("buttons", "labels")}


CONVERSATION_KEYS = tuple(key for key in ConversationFile.__fields__ if key not in ("buttons", "labels"))


# --- howto/<id>.yml ---------------------------------------------------------------


class HowToText(_Model):
    """How to do one thing in the company's CRM, in one language."""

    title: Text
    questions: tuple[Text, ...]  # how a salesperson might ask
    steps: tuple[Text, ...]

    @validator("title")
    @classmethod
    def _short_title(cls, title: str) -> str:
        return _at_most_words(title, HOWTO_TITLE_MAX_WORDS)

    @validator("questions")
    @classmethod
    def _three_questions(cls, questions: tuple[str, ...]) -> tuple[str, ...]:
        return _alternatives(questions, minimum=3, noun="example questions")

    @validator("steps")
    @classmethod
    def _two_steps(cls, steps: tuple[str, ...]) -> tuple[str, ...]:
        return _alternatives(steps, minimum=2, noun="steps")

    @validator("steps", each_item=True)
    @classmethod
    def _short_step(cls, step: str) -> str:
        return _at_most_words(step, HOWTO_STEP_MAX_WORDS)


class HowToFile(_Model):
    id: Text
    example: StrictBool  # true: a shipped starter entry, to adapt to the company's CRM
    it: HowToText
    es: HowToText
    en: HowToText


# --- turning validation errors into trainer-readable lines ------------------------

M = TypeVar("M", bound=BaseModel)


def field_name(location: tuple[Any, ...]) -> str:
    """('it', 'short', 2) -> 'it.short[2]'; a whole-file problem -> 'file'."""
    name = ""
    for part in location:
        if part == "__root__":
            continue
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "file"


def _message(error: Mapping[str, Any]) -> str:
    return MESSAGES.get(error["type"], error["msg"])


def validate(model: type[M], data: Any) -> tuple[M | None, list[str]]:
    """The model built from `data`, or None and every problem as 'field: what'."""
    if not isinstance(data, dict):
        return None, ["file: must be a mapping of keys to values"]
    try:
        return model.parse_obj(data), []
    except ValidationError as error:
        return None, [_line(e) for e in error.errors()]


def _line(error: Mapping[str, Any]) -> str:
    if error["loc"] == ("__root__",):  # a whole-file check names its keys itself
        return _message(error)
    return f"{field_name(error['loc'])}: {_message(error)}"
