"""The tables behind the charts: each chart's rows are also its CSV download, so both come
from here, with the least role that may see each table."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.engine import Engine

from bot.adoption_log.export import spreadsheet_cell
from bot.dashboard import grouping, pulse, queries
from bot.dashboard.queries import Filters

Row = dict[str, Any]
RowsOf = Callable[[Engine, Filters, dict[str, str]], list[Row]]
HIDDEN_FIGURE = "fewer than 5 people"


@dataclass(frozen=True)
class Table:
    role: str  # the least role that may see it
    columns: list[str]
    rows: RowsOf  # (engine, filters, the query string) -> rows


def _objection(args: dict[str, str]) -> str | None:
    return args.get("objection") or None


def _objection_counts_by(column: str, engine: Engine, filters: Filters, args: dict[str, str]) -> list[Row]:
    return queries.counts_by(engine, filters, column, [queries.T.c.intent == _objection(args)])


TABLES: dict[str, Table] = {
    "objections_weekly": Table("lead", ["week", "intent", "count"], lambda e, f, a: queries.weekly_by_intent(e, f)),
    "sentiment_weekly": Table(
        "lead", ["week", "average", "negative", "neutral", "positive"], lambda e, f, a: queries.weekly_sentiment(e, f)
    ),
    "rising": Table("lead", ["intent", "before", "after", "rise"], lambda e, f, a: queries.rising(e, f)),
    "pulse_weekly": Table("lead", ["week", "team", "average", "people"], lambda e, f, a: pulse.weekly(e, f)),
    "objections": Table(
        "lead", ["intent", "count"], lambda e, f, a: queries.counts_by(e, f, "intent", [queries.is_objection()])
    ),
    "objection_weekly": Table(
        "lead", ["week", "intent", "count"], lambda e, f, a: queries.weekly_by_intent(e, f, _objection(a))
    ),
    **{
        f"objection_by_{column}": Table("lead", [column, "count"], partial(_objection_counts_by, column))
        for column in ("team", "channel", "language")
    },
    "answers": Table(
        "lead",
        ["kb_entry", "given", "rated", "helped_share", "not_helped_share"],
        lambda e, f, a: queries.answers(e, f),
    ),
    "not_understood": Table(
        "trainer",
        ["text", "count", "languages", "intents", "examples"],
        lambda e, f, a: grouping.group(queries.not_understood(e, f)),
    ),
}


def as_csv(table: Table, rows: list[Row]) -> str:
    """The rows as CSV under the table's columns."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=table.columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_value(value) for key, value in row.items()})
    return out.getvalue()


def _csv_value(value: object) -> object:
    if value is None:
        return HIDDEN_FIGURE
    if isinstance(value, list):
        value = " | ".join(map(str, value))
    return spreadsheet_cell(value)
