"""The editors' problems in the page's language.

The validators (`bot.knowledge.base`, `fidelity`, `models`, `bot.learning.topics`, the how-to
editor) write each problem in English as 'file: field: what', the form `coach kb check` prints
and the tests read. The dashboard shows the same problem to an Italian or Spanish trainer with
the location kept as it is (the field is named the same in the file in every language) and the
"what" translated: each English message below is a template whose `%(name)s` parts are read
back from the problem and put into the translation. A message not listed here stays English,
so a new validator message is shown, untranslated, rather than lost.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from flask_babel import gettext


def N_(message: str) -> str:  # noqa: N802  (gettext's name for "mark for the catalogue, translate later")
    return message


MESSAGES = (
    # Shapes (bot/knowledge/models.py, base.py)
    N_("is missing"),
    N_("is not a known field"),
    N_("is not a known field (a typo?)"),
    N_("must not be empty"),
    N_("must be a text"),
    N_("must be a non-empty text"),
    N_("must be a mapping of keys to values"),
    N_("must be a list"),
    N_("must be true or false"),
    N_("must be a whole number"),
    N_("needs at least %(minimum)s alternative texts, has %(count)s"),
    N_("needs at least %(minimum)s example questions, has %(count)s"),
    N_("needs at least %(minimum)s steps, has %(count)s"),
    N_("has the same text twice"),
    N_("must be short: at most %(limit)s words, has %(count)s"),
    N_("%(text)s is not one of the short answers: copy it from short: exactly"),
    N_("at least one short answer must stay active: write a new one before retiring the last"),
    N_("must list at least one source document"),
    N_("'%(document)s' is not listed in knowledge/sources.yml"),
    N_("'%(value)s' must match the file name '%(name)s'"),
    N_("is not valid YAML (%(reason)s)"),
    # Faithfulness to the documents (bot/knowledge/fidelity.py)
    N_("%(section)s is not in %(document)s (copy a heading or a passage as it is written there)"),
    N_("an objection needs at least %(minimum)s short answers, has %(count)s"),
    N_("is empty"),
    N_("has %(count)s words, at most %(limit)s: %(text)s"),
    N_("«%(quote)s» is not verbatim in the documents it cites (%(cited)s)"),
    N_("has a « or » without its pair: %(text)s"),
    N_("the figure %(figure)s is not in the documents it cites (%(cited)s)"),
    N_("'%(word)s' addresses vosotros; write to tú or ustedes: …%(context)s…"),
    # A trainer's topic (bot/learning/topics.py) and a new how-to entry (bot/knowledge/howto_editor.py)
    N_("%(count)s examples, at least %(minimum)s needed"),
    N_("%(count)s examples, at most %(maximum)s"),
    N_("%(count)s examples; with fewer than %(enough)s the coach may confuse this topic with others"),
    N_("%(count)s characters, at most %(maximum)s"),
    N_("has control characters or ](, which Rasa reads as markup"),
    N_("%(text)s is given twice"),
    N_("%(text)s is already an example of %(intent)s"),
    N_("is missing (a new intent name in snake_case, e.g. objection_too_many_tools)"),
    N_("%(name)s must be snake_case (a-z, 0-9, single underscores), at most 60"),
    N_("%(name)s is already a knowledge entry"),
    N_("%(name)s is already a how-to entry"),
    N_("%(name)s is already an intent of domain.yml"),
    N_("must give the answers per language (it, es, en)"),
    N_("is missing (topic, short, more, tip, for_leads)"),
    N_("is missing (lowercase letters, digits and _, e.g. log_a_meeting)"),
    N_("%(id)s must be lowercase letters, digits and _ (at most 80)"),
    N_("there is no version %(version)s of %(file)s"),
)
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_SEPARATOR = ": "
# A location is 'file: field: ' (or 'field: '); a message's own colons come after it.
_MOST_SEPARATORS_IN_A_LOCATION = 3


@functools.lru_cache(maxsize=1)
def _templates() -> tuple[tuple[list[str], str], ...]:
    """Each message split into literal, name, literal, name, ..., literal."""
    return tuple((_PLACEHOLDER.split(message), message) for message in MESSAGES)


def _values(parts: list[str], text: str) -> dict[str, str] | None:
    """The placeholders' values if `text` is the message `parts`, each the shortest that fits.

    By str.find, not a regular expression: a problem quotes a trainer's text, and a pattern with
    several open-ended parts can take polynomial time on a hostile one."""
    if not text.startswith(parts[0]):
        return None
    position, values = len(parts[0]), {}
    for index in range(1, len(parts), 2):
        name, literal = parts[index], parts[index + 1]
        if index + 2 == len(parts):  # the message's last literal ends the problem
            end = len(text) - len(literal)
            if not text.endswith(literal) or end <= position:
                return None
        else:
            end = text.find(literal, position + 1)
            if end < 0:
                return None
        values[name] = text[position:end]
        position = end + len(literal)
    return values if position == len(text) else None


def _locations(problem: str) -> list[int]:
    """Where the message may start: after the last, ..., the first separator, then at the start
    (the longest location first, so a value with colons in it never swallows the field)."""
    starts: list[int] = []
    found = problem.find(_SEPARATOR)
    while found >= 0 and len(starts) < _MOST_SEPARATORS_IN_A_LOCATION:
        starts.append(found + len(_SEPARATOR))
        found = problem.find(_SEPARATOR, found + 1)
    return [*reversed(starts), 0]


def translated(problem: str) -> str:
    """One problem in the page's language (English where its message is not known)."""
    for start in _locations(problem):
        for parts, message in _templates():
            values = _values(parts, problem[start:])
            if values is not None:
                return problem[:start] + gettext(message, **values)
    return problem


def all_translated(problems: Iterable[str]) -> list[str]:
    return [translated(problem) for problem in problems]
