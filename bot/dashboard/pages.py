"""What the dashboard's pages share: the filters read from the query string (once per
request), a filtered page rendered with its filter menus, a table's rows for the request,
the helpers every template may call, the check of odd values, and the error pages."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Mapping

from flask import abort, flash, g, render_template, request
from werkzeug.exceptions import HTTPException

from bot.dashboard import queries
from bot.dashboard.queries import DIMENSIONS, Filters
from bot.dashboard.services import services
from bot.dashboard.tables import TABLES, Row

# The query parameters links keep (so the filters stay applied); any other is ignored.
KEPT_PARAMETERS = ("start", "end", *DIMENSIONS, "objection", "q")
MAX_VALUE = 500  # characters of a query or path value
MAX_ID = 2**31 - 1  # the largest id the databases store
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def refuse_odd_values() -> None:
    """Before each request: a query value that is too long or has control characters, or a form
    field with control characters other than line breaks and tabs (PostgreSQL takes no NUL), is
    a 400 that says why; so is a path value, or a number past any id, a 404."""
    for key, value in request.args.items(multi=True):
        if not _usable(key) or not _usable(value):
            abort(400, f"A value in the address is longer than {MAX_VALUE} characters or has control characters.")
    for value in (request.view_args or {}).values():
        if (isinstance(value, int) and value > MAX_ID) or (isinstance(value, str) and not _usable(value)):
            abort(404)
    if any(_has_control(key + value) for key, value in request.form.items(multi=True)):
        abort(400, "A form field has control characters; nothing was saved.")


def _usable(text: str) -> bool:
    return len(text) <= MAX_VALUE and not any(unicodedata.category(c).startswith("C") for c in text)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text)


def request_filters() -> Filters:
    """The request's filters, read once: a bad date or a second dimension is flashed once."""
    if "filters" not in g:
        g.filters = _filters_from(request.args)
    filters: Filters = g.filters
    return filters


def _filters_from(args: Mapping[str, str]) -> Filters:
    """A bad date is named and replaced, a reversed range swapped, only one of team, channel and
    language kept; the dates become whole weeks (see `queries`)."""
    default = Filters.default()
    start = _parse_date(args.get("start"), default.start)
    end = _parse_date(args.get("end"), default.end)
    if end < start:
        flash("The end date was before the start date; they were swapped.")
        start, end = end, start
    chosen = [(name, args[name]) for name in DIMENSIONS if args.get(name)]
    if len(chosen) > 1:
        flash(
            f"One of team, channel and language at a time: together they could single a person out. "
            f"Showing {chosen[0][0]} {chosen[0][1]} only."
        )
    return Filters.whole_weeks(start, end, **dict(chosen[:1]))


def _parse_date(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        flash(f"“{value}” is not a date (YYYY-MM-DD); showing {default.isoformat()} instead.")
        return default
    if not EARLIEST <= date <= LATEST:
        flash(f"{value} is not between {EARLIEST} and {LATEST}; showing {default.isoformat()} instead.")
        return default
    return date


def kept_query() -> dict[str, str]:
    """The request's query parameters that links keep."""
    return {name: request.args[name] for name in KEPT_PARAMETERS if request.args.get(name)}


def page(template: str, **context: object) -> str:
    """A page with the filter form: the request's filters and the values the menus offer."""
    return render_template(
        template,
        filters=request_filters(),
        options=queries.filter_options(services()["store"].engine),
        **context,
    )


def table(name: str, filters: Filters, args: dict[str, str] | None = None) -> list[Row]:
    """The rows of table `name` for the filters and the query string (the request's by default)."""
    return TABLES[name].rows(services()["store"].engine, filters, kept_query() if args is None else args)


def template_context() -> dict[str, object]:
    """The logged-in user, and the query string that links keep (so the filters stay applied)."""
    return {"user": g.get("user"), "query": kept_query()}


def chart_data(rows: object) -> str:
    """Rows as JSON inside a <script> element, which a "</" in the data would end."""
    return json.dumps(rows, default=str).replace("</", "<\\/")


def intent_label(intent: str) -> str | None:
    """The English topic of an intent, as salespeople see it; None if it has none."""
    return dict(services()["knowledge"].get().topics("en")).get(intent)


def message(title: str, text: str, status: int) -> tuple[str, int]:
    return render_template("message.html", title=title, text=text), status


def bad_request(error: HTTPException) -> tuple[str, int]:
    return message("Not understood", error.description or "The request could not be read.", 400)


def form_expired(error: HTTPException) -> tuple[str, int]:
    """A form whose CSRF token is missing, expired or from another session: nothing was done."""
    return message(
        "This form has expired",
        "Nothing was saved: the page was open longer than a session lasts, or you logged in again since. "
        "Go back, reload the page, and send the form again (copy any text you typed first).",
        400,
    )


def forbidden(error: HTTPException) -> tuple[str, int]:
    """With the guard's reason: which roles the page is for."""
    return message("Not for your role", error.description or "This page is not for your role.", 403)


def not_found(error: HTTPException) -> tuple[str, int]:
    return message("Not found", "There is nothing here.", 404)
