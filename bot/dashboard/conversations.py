"""The trainers' reading pages: the pseudonymous conversations (with a text search), one
conversation's transcript, the not-understood messages grouped most frequent first, and
the salespeople who asked to talk to a person."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from bot.dashboard import queries
from bot.dashboard.guard import requires
from bot.dashboard.pages import page, request_filters, table
from bot.dashboard.services import services
from bot.learning.examples import domain_intents

MAX_SEARCH = 200  # characters of the search text that are used

blueprint = Blueprint("conversations", __name__)


@blueprint.route("/conversations")
@requires("trainer")
def index() -> str:
    search = request.args.get("q", "").strip()[:MAX_SEARCH]
    found = queries.conversations(services()["store"].engine, request_filters(), search)
    return page("conversations.html", conversations=found, search=search)


@blueprint.route("/conversations/<user_id>")
@requires("trainer")
def transcript(user_id: str) -> str:
    rows = queries.transcript(services()["store"].engine, user_id)
    if not rows:
        abort(404)
    return page("transcript.html", conversation_user=user_id, rows=rows)


@blueprint.route("/not-understood")
@requires("trainer")
def not_understood() -> str:
    return page("not_understood.html", groups=table("not_understood", request_filters()), intents=domain_intents())


@blueprint.route("/wants-a-person")
@requires("trainer")
def wants_a_person() -> str:
    handled = request.args.get("handled") == "1"
    requests = queries.person_requests(services()["store"].engine, include_handled=handled)
    return page("wants_a_person.html", requests=requests, show_handled=handled)


@blueprint.route("/wants-a-person/<event_id>/done", methods=["POST"])
@requires("trainer")
def person_request_done(event_id: str) -> Response:
    if not services()["store"].mark_handled(event_id[:36], g.user.username):
        abort(404)
    flash(gettext("Marked as done."))
    return redirect(url_for("conversations.wants_a_person"))
