"""What the dashboard's pages share: the filters read from the query string, a filtered
page rendered with its filter menus, a table's rows for the request, the helpers every
template may call, and the error pages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from flask import flash, g, render_template, request
from werkzeug.exceptions import HTTPException

from bot.dashboard import queries
from bot.dashboard.queries import Filters
from bot.dashboard.services import services
from bot.dashboard.tables import TABLES, Row


def _parse_date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        flash(f"“{value}” is not a date (YYYY-MM-DD); showing {default.isoformat()} instead.")
        return default


def filters_from(args: Mapping[str, str]) -> Filters:
    """The filters of a query string; a bad date or a reversed range is flashed and corrected."""
    default = Filters.default()
    start = _parse_date(args.get("start"), default.start)
    end = _parse_date(args.get("end"), default.end)
    if end < start:
        flash("The end date was before the start date; they were swapped.")
        start, end = end, start
    return Filters(start, end, args.get("team") or None, args.get("channel") or None, args.get("language") or None)


def page(template: str, **context: object) -> str:
    """A page with the filter form: the request's filters and the values the menus offer."""
    return render_template(
        template,
        filters=filters_from(request.args),
        options=queries.filter_options(services()["store"].engine),
        **context,
    )


def table(name: str, filters: Filters, args: dict[str, str] | None = None) -> list[Row]:
    """The rows of table `name` for the filters and the query string (the request's by default)."""
    return TABLES[name].rows(services()["store"].engine, filters, request.args.to_dict() if args is None else args)


def template_context() -> dict[str, object]:
    """The logged-in user, and the query string that links keep (so the filters stay applied)."""
    return {"user": g.get("user"), "query": request.args.to_dict()}


def chart_data(rows: object) -> str:
    """Rows as JSON inside a <script> element, which a "</" in the data would end."""
    return json.dumps(rows, default=str).replace("</", "<\\/")


def intent_label(intent: str) -> str | None:
    """The English topic of an intent, as salespeople see it; None if it has none."""
    return dict(services()["knowledge"].get().topics("en")).get(intent)


def forbidden(error: HTTPException) -> tuple[str, int]:
    return render_template(
        "message.html",
        title="Not for your role",
        text="This page is for trainers and admins; adoption leads see aggregates only.",
    ), 403


def not_found(error: HTTPException) -> tuple[str, int]:
    return render_template("message.html", title="Not found", text="There is nothing here."), 404
