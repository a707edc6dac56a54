"""The adoption leads' pages: the overview, the objections with the documents' advice, the
answers' ratings, and each chart's CSV download (a table's own role applies); also the
chart library that every page loads."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, request, send_file
from flask_babel import lazy_gettext

from bot.dashboard import queries, variants
from bot.dashboard.guard import refuse, requires
from bot.dashboard.pages import kept_query, page, request_filters, table
from bot.dashboard.services import services
from bot.dashboard.tables import TABLES, Row, as_csv
from bot.settings import PROJECT_ROOT

CHART_JS = PROJECT_ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.js"
FOUR_PS = {
    "processes": lazy_gettext("Processes"),
    "perception": lazy_gettext("Perception"),
    "privacy": lazy_gettext("Privacy"),
    "politics": lazy_gettext("Politics"),
}
OBJECTION_BREAKDOWN = ("objection_weekly", "objection_by_team", "objection_by_channel", "objection_by_language")

blueprint = Blueprint("analytics", __name__)


@blueprint.route("/")
@requires("lead")
def overview() -> str:
    filters = request_filters()
    return page(
        "overview.html",
        totals=queries.totals(services()["store"].engine, filters),
        objections_weekly=table("objections_weekly", filters),
        sentiment_weekly=table("sentiment_weekly", filters),
        rising=table("rising", filters),
        pulse_weekly=table("pulse_weekly", filters),
    )


@blueprint.route("/objections")
@requires("lead")
def objections() -> str:
    """One objection (the query's, else the most frequent): its figures and the advice on it."""
    filters = request_filters()
    counts = table("objections", filters)
    chosen = request.args.get("objection") or _most_frequent(counts)
    objection_query = {**kept_query(), "objection": chosen or ""}
    kb = services()["knowledge"].get()
    return page(
        "objections.html",
        counts=counts,
        chosen=chosen,
        entry=kb.entry(chosen) if chosen else None,
        breakdown={name: table(name, filters, objection_query) for name in OBJECTION_BREAKDOWN},
        four_ps=FOUR_PS,
        rules=kb.rules,
        documents=kb.documents,
        objection_query=objection_query,
    )


def _most_frequent(counts: list[Row]) -> str | None:
    return counts[0]["intent"] if counts else None


@blueprint.route("/answers")
@requires("lead")
def answers() -> str:
    filters = request_filters()
    kb = services()["knowledge"].get()
    return page(
        "answers.html",
        answers=table("answers", filters),
        variants=variants.ranked(services()["store"].engine, filters, kb),
    )


@blueprint.route("/csv/<name>.csv")
@requires("lead")
def download_csv(name: str) -> Response:
    spec = TABLES.get(name)
    if spec is None:
        abort(404)
    if not g.user.may(spec.role):
        refuse(spec.role)
    return Response(
        as_csv(spec, table(name, request_filters())),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


# No login needed: the login page loads it too.
@blueprint.route("/vendor/chart.umd.js")
def chart_library() -> Response:
    if not CHART_JS.exists():
        abort(404)
    return send_file(CHART_JS, mimetype="text/javascript", max_age=3600)
