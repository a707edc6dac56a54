"""What the dashboard's pages share: the filters read from the query string (once per
request), a filtered page rendered with its filter menus, a table's rows for the request,
the helpers every template may call, the check of odd values, and the error pages."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Mapping
from typing import Any

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from werkzeug.exceptions import HTTPException

from bot.dashboard import queries
from bot.dashboard.locale import page_language
from bot.dashboard.queries import DIMENSIONS, Filters
from bot.dashboard.services import services
from bot.dashboard.tables import TABLES, Row

# The query parameters links keep (so the filters stay applied); any other is ignored.
KEPT_PARAMETERS = ("start", "end", *DIMENSIONS, "objection", "q")
MAX_VALUE = 500  # characters of a query or path value
MAX_ID = 2**31 - 1  # the largest id the databases store
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
DIMENSION_NAMES = {
    "team": lazy_gettext("team"),
    "channel": lazy_gettext("channel"),
    "language": lazy_gettext("language"),
}


def refuse_odd_values() -> None:
    """Before each request: a query value that is too long or has control characters, or a form
    field with control characters other than line breaks and tabs (PostgreSQL takes no NUL), is
    a 400 that says why; so is a path value, or a number past any id, a 404."""
    for key, value in request.args.items(multi=True):
        if not _usable(key) or not _usable(value):
            abort(
                400,
                gettext(
                    "A value in the address is longer than %(count)d characters or has control characters.",
                    count=MAX_VALUE,
                ),
            )
    for value in (request.view_args or {}).values():
        if (isinstance(value, int) and value > MAX_ID) or (isinstance(value, str) and not _usable(value)):
            abort(404)
    if any(_has_control(key + value) for key, value in request.form.items(multi=True)):
        abort(400, gettext("A form field has control characters; nothing was saved."))


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
    chosen = [(name, args[name]) for name in DIMENSIONS if args.get(name)]
    default = Filters.default()
    if not (args.get("start") and args.get("end")):  # the last weeks whose figures may be shown
        default = queries.default_period(services()["store"].engine, dict(chosen[:1]))
    start = _parse_date(args.get("start"), default.start)
    end = _parse_date(args.get("end"), default.end)
    if end < start:
        flash(gettext("The end date was before the start date; they were swapped."))
        start, end = end, start
    if len(chosen) > 1:
        flash(
            gettext(
                "One of team, channel and language at a time: together they could single a person out. "
                "Showing %(dimension)s %(value)s only.",
                dimension=DIMENSION_NAMES[chosen[0][0]],
                value=chosen[0][1],
            )
        )
    return Filters.whole_weeks(start, end, **dict(chosen[:1]))


def _parse_date(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        flash(
            gettext(
                "“%(value)s” is not a date (YYYY-MM-DD); showing %(default)s instead.",
                value=value,
                default=default.isoformat(),
            )
        )
        return default
    if not EARLIEST <= date <= LATEST:
        flash(
            gettext(
                "%(value)s is not between %(earliest)s and %(latest)s; showing %(default)s instead.",
                value=value,
                earliest=EARLIEST.isoformat(),
                latest=LATEST.isoformat(),
                default=default.isoformat(),
            )
        )
        return default
    return date


def kept_query() -> dict[str, str]:
    """The request's query parameters that links keep."""
    return {name: request.args[name] for name in KEPT_PARAMETERS if request.args.get(name)}


# The pages whose figures are over the period, and so wait for its first and last weeks.
PERIOD_FIGURE_PAGES = ("overview.html", "objections.html", "answers.html")


def page(template: str, **context: object) -> str:
    """A page with the filter form: the request's filters and the values the menus offer; on a
    page of figures, why they are hidden if the period's ends rest on fewer than 5 people."""
    engine = services()["store"].engine
    filters = request_filters()
    if template in PERIOD_FIGURE_PAGES:
        context = {**_period_notes(queries.check_period(engine, filters)), **context}
    return render_template(template, filters=filters, options=queries.filter_options(engine), **context)


def _period_notes(check: queries.PeriodCheck) -> dict[str, object]:
    """What the page says of its period: up to which week the default goes, or why its figures
    are hidden and a link to the nearest period whose figures are shown."""
    notes: dict[str, object] = {}
    if not request.args.get("end") and check.shown and check.shown_weeks:
        notes["up_to_week"] = check.filters.end.isocalendar()[1]
    if check.shown:
        return notes
    if check.small_first_week and check.small_last_week:
        notes["period_notice"] = gettext("This period starts and ends on weeks with fewer than 5 people.")
    elif check.small_first_week:
        notes["period_notice"] = gettext("This period starts on a week with fewer than 5 people.")
    else:
        notes["period_notice"] = gettext("This period ends on a week with fewer than 5 people.")
    if check.nearest is not None:
        nearest = {"start": check.nearest.start.isoformat(), "end": check.nearest.end.isoformat()}
        values: dict[str, Any] = {**kept_query(), **nearest}
        notes["nearest_period"] = (nearest, url_for(request.endpoint or "analytics.overview", **values))
    return notes


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
    """The topic of an intent as salespeople see it, in the page's language; None if it has none."""
    return dict(services()["knowledge"].get().topics(page_language())).get(intent)


def message(title: str, text: str, status: int) -> tuple[str, int]:
    return render_template("message.html", title=title, text=text), status


def bad_request(error: HTTPException) -> tuple[str, int]:
    return message(gettext("Not understood"), error.description or gettext("The request could not be read."), 400)


def form_expired(error: HTTPException) -> tuple[str, int]:
    """A form whose CSRF token is missing, expired or from another session: nothing was done."""
    return message(
        gettext("This form has expired"),
        gettext(
            "Nothing was saved: the page was open longer than a session lasts, or you logged in again since. "
            "Go back, reload the page, and send the form again (copy any text you typed first)."
        ),
        400,
    )


def forbidden(error: HTTPException) -> tuple[str, int]:
    """With the guard's reason: which roles the page is for."""
    return message(gettext("Not for your role"), error.description or gettext("This page is not for your role."), 403)


def not_found(error: HTTPException) -> tuple[str, int]:
    return message(gettext("Not found"), gettext("There is nothing here."), 404)
