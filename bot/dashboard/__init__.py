"""The adoption dashboard: a small server-rendered Flask app over the adoption log.

Every chart's data is also a table (with its CSV download), computed once in
`TABLES`; pages and downloads share it, and the role rules live there too.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from flask import Flask, Response, abort, flash, g, redirect, render_template, request, send_file, session, url_for
from flask_wtf.csrf import CSRFProtect

from bot.dashboard import grouping, queries
from bot.dashboard.guard import requires
from bot.dashboard.trainer import trainer_pages
from bot.dashboard.queries import Filters
from bot.dashboard.users import ROLES, UserError, Users
from bot.knowledge.editor import KnowledgeEditor
from bot.knowledge.reload import LiveKnowledge
from bot.adoption_log.store import LogStore
from bot.settings import PROJECT_ROOT, Settings

CHART_JS = PROJECT_ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.js"
FOUR_PS = {"processes": "Processes", "perception": "Perception", "privacy": "Privacy", "politics": "Politics"}


@dataclass(frozen=True)
class Table:
    role: str  # the least role that may see it
    columns: List[str]
    rows: Callable[[Any, Filters, Dict[str, str]], List[Dict[str, Any]]]


def _objection(args: Dict[str, str]) -> Optional[str]:
    return args.get("objection") or None


TABLES: Dict[str, Table] = {
    "objections_weekly": Table("lead", ["week", "intent", "count"], lambda e, f, a: queries.weekly_by_intent(e, f)),
    "sentiment_weekly": Table(
        "lead", ["week", "average", "negative", "neutral", "positive"], lambda e, f, a: queries.weekly_sentiment(e, f)
    ),
    "rising": Table("lead", ["intent", "before", "after", "rise"], lambda e, f, a: queries.rising(e, f)),
    "objections": Table(
        "lead", ["intent", "count"], lambda e, f, a: queries.counts_by(e, f, "intent", [queries.is_objection()])
    ),
    "objection_weekly": Table(
        "lead", ["week", "intent", "count"], lambda e, f, a: queries.weekly_by_intent(e, f, _objection(a))
    ),
    **{
        f"objection_by_{column}": Table(
            "lead",
            [column, "count"],
            lambda e, f, a, column=column: queries.counts_by(e, f, column, [queries.T.c.intent == _objection(a)]),
        )
        for column in ("team", "channel", "language")
    },
    "answers": Table(
        "lead", ["kb_entry", "given", "rated", "helped_share", "not_helped_share"], lambda e, f, a: queries.answers(e, f)
    ),
    "not_understood": Table(
        "trainer", ["text", "count", "languages", "intents", "examples"],
        lambda e, f, a: grouping.group(queries.not_understood(e, f)),
    ),
}


def _parse_date(value: Optional[str], default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        flash(f"“{value}” is not a date (YYYY-MM-DD); showing {default.isoformat()} instead.")
        return default


def filters_from(args) -> Filters:
    default = Filters.default()
    start = _parse_date(args.get("start"), default.start)
    end = _parse_date(args.get("end"), default.end)
    if end < start:
        flash("The end date was before the start date; they were swapped.")
        start, end = end, start
    return Filters(start, end, args.get("team") or None, args.get("channel") or None, args.get("language") or None)


def _session_key(settings: Settings) -> bytes:
    from bot.privacy.pseudonyms import load_key

    secret = load_key(settings.secret_key, settings.secret_key_file)
    return hmac.new(secret, b"dashboard-session", hashlib.sha256).digest()


def create_app(settings: Settings, store: Optional[LogStore] = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_session_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="coach_dashboard",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
    )
    CSRFProtect(app)
    store = store or LogStore(settings.log_db_url)
    store.migrate()
    users = Users(store.engine)
    live = LiveKnowledge(settings.knowledge_dir)  # follows the trainers' edits
    app.extensions["coach"] = {"store": store, "users": users, "knowledge": live,
                               "editor": KnowledgeEditor(settings.knowledge_dir, store.engine),
                               "data_dir": settings.data_dir}
    app.register_blueprint(trainer_pages)

    @app.after_request
    def _secure_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        # same-origin: Flask-WTF checks the Referer of HTTPS form posts; nothing leaks to other sites.
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    @app.before_request
    def _load_user() -> None:
        name = session.get("user")
        g.user = users.get(name) if name else None

    def page(template: str, **context: Any) -> str:
        filters = filters_from(request.args)
        return render_template(
            template, filters=filters, options=queries.filter_options(store.engine), **context,
        )

    def table(name: str, filters: Filters) -> List[Dict[str, Any]]:
        return TABLES[name].rows(store.engine, filters, request.args.to_dict())

    @app.context_processor
    def _helpers() -> Dict[str, Any]:
        return {"user": g.get("user"), "query": request.args.to_dict()}

    # Globals, not context: the chart macro is imported by the page templates.
    app.add_template_global(lambda rows: json.dumps(rows, default=str).replace("</", "<\\/"), "chart_data")
    app.add_template_global(lambda intent: dict(live.get().topics("en")).get(intent), "label")

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "POST":
            user = users.authenticate(request.form.get("username", ""), request.form.get("password", ""))
            if user is None:
                flash("Wrong username or password.")
                return render_template("login.html"), 401
            session.clear()  # a fresh session: no fixation
            session["user"] = user.username
            session.permanent = True
            target = request.args.get("next") or ""
            return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("overview"))
        return render_template("login.html")

    @app.route("/logout", methods=["POST"])
    def logout():
        session.clear()
        return redirect(url_for("login"))

    @app.route("/")
    @requires("lead")
    def overview():
        filters = filters_from(request.args)
        return page(
            "overview.html",
            totals=queries.totals(store.engine, filters),
            objections_weekly=table("objections_weekly", filters),
            sentiment_weekly=table("sentiment_weekly", filters),
            rising=table("rising", filters),
        )

    @app.route("/objections")
    @requires("lead")
    def objections():
        filters = filters_from(request.args)
        counts = table("objections", filters)
        chosen = request.args.get("objection") or (counts[0]["intent"] if counts else None)
        args = {**request.args.to_dict(), "objection": chosen or ""}
        kb = live.get()
        entry = kb.entry(chosen) if chosen else None
        breakdown = {
            name: TABLES[name].rows(store.engine, filters, args)
            for name in ("objection_weekly", "objection_by_team", "objection_by_channel", "objection_by_language")
        }
        return page(
            "objections.html", counts=counts, chosen=chosen, entry=entry, breakdown=breakdown,
            four_ps=FOUR_PS, rules=kb.rules, documents=kb.documents, objection_query={**request.args.to_dict(), "objection": chosen or ""},
        )

    @app.route("/answers")
    @requires("lead")
    def answers():
        return page("answers.html", answers=table("answers", filters_from(request.args)))

    @app.route("/not-understood")
    @requires("trainer")
    def not_understood():
        from bot.learning.examples import domain_intents

        return page("not_understood.html", groups=table("not_understood", filters_from(request.args)),
                    intents=domain_intents())

    @app.route("/conversations")
    @requires("trainer")
    def conversations():
        search = request.args.get("q", "").strip()[:200]
        found = queries.conversations(store.engine, filters_from(request.args), search)
        return page("conversations.html", conversations=found, search=search)

    @app.route("/conversations/<user_id>")
    @requires("trainer")
    def transcript(user_id: str):
        rows = queries.transcript(store.engine, user_id)
        if not rows:
            abort(404)
        return page("transcript.html", conversation_user=user_id, rows=rows)

    @app.route("/csv/<name>.csv")
    @requires("lead")
    def download(name: str):
        spec = TABLES.get(name)
        if spec is None:
            abort(404)
        if not g.user.may(spec.role):
            abort(403)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=spec.columns, extrasaction="ignore")
        writer.writeheader()
        for row in table(name, filters_from(request.args)):
            writer.writerow({k: _csv_value(v) for k, v in row.items()})
        return Response(
            out.getvalue(), mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )

    @app.route("/users", methods=["GET", "POST"])
    @requires("admin")
    def manage_users():
        if request.method == "POST":
            action, username = request.form.get("action"), request.form.get("username", "").strip()
            try:
                if action == "add":
                    users.add(username, request.form.get("password", ""), request.form.get("role", "lead"))
                    flash(f"{username} added.")
                elif action == "role":
                    users.set_role(username, request.form.get("role", ""))
                    flash(f"{username} is now {request.form.get('role')}.")
                elif action == "remove":
                    users.remove(username)
                    flash(f"{username} removed.")
                else:
                    abort(400)
            except UserError as error:
                flash(str(error))
            return redirect(url_for("manage_users"))
        return render_template("users.html", users=users.all(), roles=ROLES)

    @app.route("/vendor/chart.umd.js")
    def chart_library():
        if not CHART_JS.exists():
            abort(404)
        return send_file(CHART_JS, mimetype="text/javascript", max_age=3600)

    @app.errorhandler(403)
    def _forbidden(error):
        return render_template("message.html", title="Not for your role",
                               text="This page is for trainers and admins; adoption leads see aggregates only."), 403

    @app.errorhandler(404)
    def _not_found(error):
        return render_template("message.html", title="Not found", text="There is nothing here."), 404

    return app


def _csv_value(value: Any) -> Any:
    if value is None:
        return "fewer than 5 people"
    if isinstance(value, list):
        return " | ".join(map(str, value))
    return value

