"""Which short answers work: the Answers page's figures per answer variant, and retiring one.

This module owns the comparison of an entry's short answers (bot/knowledge/replies.py says how
they rotate and what a variant id is) and the trainers' "Retire" button. Per knowledge entry,
language and variant, within the dashboard's Filters (period, one dimension), all counted in SQL:
- given: the replies that gave it; people: the distinct people they went to;
- helped / didn't help: the share of the ratings of it (feedback replies carrying its id);
- less negative: of the answers where both the message answered and the person's next typed
  message (same person, within CONVERSATION_WINDOW) have a sentiment score, the share where
  the next one scored higher;
each share with its Wilson 95 % interval (`wilson`), which stays honest on a few dozen ratings.

Variants are ranked within their entry and language by the measured effect: the lower bound of
the helped share, then of the less-negative share (a variant is only ahead when its figures
say so even at their least favourable), then how often it was given. A variant whose helped
interval lies wholly under the leader's is marked `behind`: the one to rewrite or retire.

Small groups (queries' rules): a variant given to fewer than 5 people shows no figure at all;
a share is shown only when its own base (raters, or people measured) is 5 or more; an entry's
variants are a breakdown of the entry, so where one is hidden the smallest shown is hidden too
(`queries.partition_hidden`); under a dimension filter `queries._visibility` applies as well.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext
from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from werkzeug.wrappers import Response

from bot.dashboard import queries
from bot.dashboard.guard import requires
from bot.dashboard.pages import kept_query
from bot.dashboard.queries import MIN_PEOPLE, Filters, T, partition_hidden
from bot.dashboard.services import services
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.replies import variant_id
from bot.settings import LANGUAGES

Z_95 = 1.959964  # the normal quantile of a two-sided 95 % interval
TEXT_SHOWN = 120  # characters of a variant's text on the page
# The same conversation: Rasa starts a new session after 12 hours without a message (domain.yml).
CONVERSATION_WINDOW_MINUTES = 720
RATINGS = ("helpful", "not_helpful")
Cell = tuple[str, str, int]  # (knowledge entry, language, variant id)
# The replies that gave a variant, and those that rate one.
_GIVEN = [T.c.answer_variant.isnot(None), T.c.kb_entry.isnot(None), T.c.feedback.is_(None)]
_RATED = [T.c.answer_variant.isnot(None), T.c.kb_entry.isnot(None), T.c.feedback.in_(RATINGS)]

blueprint = Blueprint("variants", __name__)


def wilson(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion: unlike p ± z·se it stays within 0-1 and is not
    empty at 0 or all successes, so it is fair to small samples."""
    if trials <= 0:
        raise ValueError("an interval needs at least one trial")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Share:
    """`part` of `whole`, with its Wilson interval; `whole` 0 means nothing measured yet."""

    part: int
    whole: int

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.part, self.whole) if self.whole else None

    @property
    def low(self) -> float:
        """The interval's lower bound, the figure a ranking can trust; -1 when nothing is measured."""
        return self.interval[0] if self.interval else -1.0


@dataclass
class _Counts:
    given: int = 0
    people: int = 0
    helped: int = 0
    not_helped: int = 0
    raters: int = 0
    improved: int = 0
    measured: int = 0
    measured_people: int = 0


def _later(engine: Engine, moment: ColumnElement) -> ColumnElement:
    """`moment` plus the conversation window, in each database's own date arithmetic."""
    if engine.dialect.name == "postgresql":
        return moment + func.make_interval(0, 0, 0, 0, 0, CONVERSATION_WINDOW_MINUTES)
    return func.datetime(moment, f"+{CONVERSATION_WINDOW_MINUTES} minutes")


def _answer_rows(engine: Engine, filters: Filters) -> Any:
    """Each reply that gave a variant, with the score of the message it answered and of the
    person's next typed message in the same conversation (None where there is none)."""
    message = T.alias("message")
    same_person = [message.c.user_id == T.c.user_id, message.c.direction == "user"]
    answered = (
        select(message.c.sentiment_score)
        .where(*same_person, message.c.ts <= T.c.ts)
        .order_by(message.c.ts.desc(), message.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    next_typed = (
        select(message.c.sentiment_score)
        .where(
            *same_person,
            message.c.ts > T.c.ts,
            message.c.ts <= _later(engine, T.c.ts),
            message.c.sentiment_score.isnot(None),
        )
        .order_by(message.c.ts, message.c.id)
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            T.c.kb_entry,
            T.c.language,
            T.c.answer_variant,
            T.c.user_id,
            answered.label("before"),
            next_typed.label("after"),
        )
        .where(*filters.conditions("bot"), *_GIVEN)
        .subquery()
    )


def _counts(engine: Engine, filters: Filters) -> dict[Cell, _Counts]:
    answers = _answer_rows(engine, filters)
    both_scored = and_(answers.c.before.isnot(None), answers.c.after.isnot(None))
    given = select(
        answers.c.kb_entry,
        answers.c.language,
        answers.c.answer_variant,
        func.count(),
        func.count(func.distinct(answers.c.user_id)),
        func.sum(case((answers.c.after > answers.c.before, 1), else_=0)),
        func.sum(case((both_scored, 1), else_=0)),
        func.count(func.distinct(case((both_scored, answers.c.user_id)))),
    ).group_by(answers.c.kb_entry, answers.c.language, answers.c.answer_variant)
    counts: dict[Cell, _Counts] = {}
    for entry, language, variant, n, people, improved, measured, measured_people in queries._rows(engine, given):
        counts[(entry, language, variant)] = _Counts(
            n, people, improved=improved, measured=measured, measured_people=measured_people
        )
    ratings = (
        select(
            T.c.kb_entry,
            T.c.language,
            T.c.answer_variant,
            func.sum(case((T.c.feedback == "helpful", 1), else_=0)),
            func.sum(case((T.c.feedback == "not_helpful", 1), else_=0)),
            queries._people(),
        )
        .where(*filters.conditions("bot"), *_RATED)
        .group_by(T.c.kb_entry, T.c.language, T.c.answer_variant)
    )
    for entry, language, variant, helped, not_helped, raters in queries._rows(engine, ratings):
        cell = counts.setdefault((entry, language, variant), _Counts())  # rated, but given before the period
        cell.helped, cell.not_helped, cell.raters = helped, not_helped, raters
    return counts


def _hidden_per_entry(counts: Mapping[Cell, _Counts], people_of: str) -> set[Cell]:
    """The cells to hide for one figure: its base under 5 people and, an entry's variants being
    a breakdown of the entry, the smallest shown one where any is hidden (`partition_hidden`)."""
    by_entry: dict[str, dict[Hashable, int]] = {}
    for cell, count in counts.items():
        by_entry.setdefault(cell[0], {})[cell] = getattr(count, people_of)
    hidden: set[Cell] = set()
    for people in by_entry.values():
        hidden |= {cell for cell in partition_hidden(people) if isinstance(cell, tuple)}
    return hidden


def ranked(engine: Engine, filters: Filters, kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Per entry and language (in that order), its variants ranked best first:
    [{kb_entry, language, variants: [row, ...]}], each row as `_row` builds it."""
    counts = _counts(engine, filters)
    visible = queries._visibility(engine, filters, [T.c.kb_entry, T.c.language, T.c.answer_variant], _GIVEN, "bot")
    hidden = {name: _hidden_per_entry(counts, name) for name in ("people", "raters", "measured_people")}
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for cell, count in counts.items():
        shown = cell not in hidden["people"] and visible(cell, count.people)
        row = _row(kb, cell, count, shown, hidden)
        groups.setdefault(cell[:2], []).append(row)
    return [
        {"kb_entry": entry, "language": language, "variants": _rank(rows)}
        for (entry, language), rows in sorted(groups.items())
    ]


def _row(kb: KnowledgeBase, cell: Cell, count: _Counts, shown: bool, hidden: Mapping[str, set[Cell]]) -> dict[str, Any]:
    entry, language, variant = cell
    text, retired = _current_text(kb, entry, language, variant)
    row: dict[str, Any] = {
        "kb_entry": entry,
        "language": language,
        "variant": variant,
        "text": text[:TEXT_SHOWN] + ("…" if len(text) > TEXT_SHOWN else "") if text else None,
        "retired": retired,
        "shown": shown,
        "given": None,
        "people": None,
        "helped": None,
        "not_helped": None,
        "less_negative": None,
    }
    if not shown:  # fewer than 5 people: not even the counts
        return row
    rated = count.helped + count.not_helped
    ratings_shown = count.raters >= MIN_PEOPLE and cell not in hidden["raters"]
    measured_shown = count.measured_people >= MIN_PEOPLE and cell not in hidden["measured_people"]
    row.update(
        given=count.given,
        people=count.people,
        helped=Share(count.helped, rated) if ratings_shown or not rated else None,
        not_helped=Share(count.not_helped, rated) if ratings_shown or not rated else None,
        less_negative=Share(count.improved, count.measured) if measured_shown or not count.measured else None,
    )
    return row


def _current_text(kb: KnowledgeBase, entry: str, language: str, variant: int) -> tuple[str | None, bool]:
    """The variant's text in the knowledge base now, and whether it is retired; None: an earlier
    text, since edited or removed (its figures stay its own)."""
    found = kb.entry(entry)
    answer = found.answers.get(language) if found else None
    if answer is None:
        return None, False
    text = next((text for text in answer.short if variant_id(text) == variant), None)
    return text, text in answer.retired


def _rank(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best first: shown before hidden, then the lower bounds of helped and of less negative."""

    def key(row: dict[str, Any]) -> tuple:
        helped, calmer = row["helped"], row["less_negative"]
        return (
            not row["shown"],
            -(helped.low if helped else -1.0),
            -(calmer.low if calmer else -1.0),
            -(row["given"] or 0),
            row["variant"],
        )

    ordered = sorted(rows, key=key)
    leader = ordered[0]["helped"] if ordered else None
    for rank, row in enumerate(ordered, start=1):
        row["rank"] = rank
        interval = row["helped"].interval if row["helped"] else None
        row["behind"] = bool(interval and leader and leader.interval and rank > 1 and interval[1] < leader.interval[0])
    return ordered


@blueprint.route("/answers/variants/retire", methods=["POST"])
@requires("trainer")
def retire() -> Response:
    """Stop giving one short answer (`give_again` gives it back); back to the Answers page."""
    intent, language = request.form.get("intent", ""), request.form.get("language", "")
    retiring = not request.form.get("give_again")
    flash(_retire(intent, language, request.form.get("variant", ""), retiring))
    filters: dict[str, Any] = kept_query()  # Any: how url_for types its keyword values
    return redirect(url_for("analytics.answers", **filters))


def _retire(intent: str, language: str, variant: str, retiring: bool) -> str:
    """What happened, said for the trainer: retired, given again, or why not."""
    editor = services()["editor"]
    try:
        shorts = editor.short_answers(intent, language) if language in LANGUAGES else None
    except KeyError:
        shorts = None
    if shorts is None:
        return gettext("There is no knowledge entry %(intent)s in %(language)s.", intent=intent, language=language)
    text = next((text for text in shorts if variant.isdigit() and variant_id(text) == int(variant)), None)
    if text is None:
        return gettext("That answer is no longer in the file (it was edited meanwhile): nothing changed.")
    problems = editor.retire(intent, language, text, g.user.username, retired=retiring)
    if problems:
        return gettext("Not changed: %(problems)s", problems="; ".join(problems))
    if retiring:
        return gettext("Retired: the coach no longer gives this answer. Its history keeps it for a revert.")
    return gettext("The coach gives this answer again.")
