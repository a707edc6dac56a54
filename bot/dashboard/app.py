"""The dashboard's app factory: it only configures the app and registers the blueprints
(like the Flask tutorial's `flaskr`); the package docstring lists them."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from flask import Flask, Response
from flask_wtf.csrf import CSRFError, CSRFProtect

from bot.adoption_log.store import LogStore
from bot.dashboard import (
    admin,
    analytics,
    auth,
    conversations,
    documents,
    guard,
    locale,
    pages,
    topics,
    trainer,
    variants,
)
from bot.dashboard.server import MAX_REQUEST_BODY_BYTES
from bot.dashboard.services import EXTENSION, build_services
from bot.privacy.pseudonyms import load_key
from bot.settings import Settings

BLUEPRINTS = (
    analytics.blueprint,
    variants.blueprint,
    conversations.blueprint,
    trainer.blueprint,
    documents.blueprint,
    topics.blueprint,
    admin.blueprint,
    auth.blueprint,
)
SESSION_LIFETIME = dt.timedelta(hours=8)
CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"


def create_app(settings: Settings, store: LogStore | None = None) -> Flask:
    """The dashboard over `store`, or over the settings' log database; the database is migrated."""
    app = Flask(__name__)
    app.config.update(_session_config(settings))
    CSRFProtect(app)
    app.extensions[EXTENSION] = build_services(settings, store)
    app.after_request(_security_headers)
    app.before_request(pages.refuse_odd_values)
    app.before_request(guard.load_user)
    app.context_processor(pages.template_context)
    locale.init_app(app)  # the page's language, its texts and formats, and the chooser
    # Globals, not context: the chart macro is imported by the page templates.
    app.add_template_global(pages.chart_data, "chart_data")
    app.add_template_global(pages.intent_label, "label")
    app.register_error_handler(CSRFError, pages.form_expired)
    app.register_error_handler(400, pages.bad_request)
    app.register_error_handler(403, pages.forbidden)
    app.register_error_handler(404, pages.not_found)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app


def _session_config(settings: Settings) -> dict[str, object]:
    return {
        "SECRET_KEY": _session_key(settings),
        "SESSION_COOKIE_HTTPONLY": True,
        # A Secure cookie over plain http is never sent back: logging in would fail.
        "SESSION_COOKIE_SECURE": settings.dashboard_https,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "coach_dashboard",
        # Flask refuses a larger body itself (413), whatever server runs the app.
        "MAX_CONTENT_LENGTH": MAX_REQUEST_BODY_BYTES,
        "PERMANENT_SESSION_LIFETIME": SESSION_LIFETIME,
        # A cookie only when the session changed: the browser keeps the cookie of whichever answer
        # comes last, and an editor's preview sent before Save, answered after it, would otherwise
        # put back the session without the "Saved." message (or a session since logged out).
        # A session therefore lasts 8 hours from its last change (a login, a save), not its last page.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # As long as the session: a form opened in the morning still saves in the afternoon.
        "WTF_CSRF_TIME_LIMIT": int(SESSION_LIFETIME.total_seconds()),
    }


def _session_key(settings: Settings) -> bytes:
    """Derived from the coach's secret, so the session key is not the pseudonyms' key itself."""
    secret = load_key(settings.secret_key, settings.secret_key_file)
    return hmac.new(secret, b"dashboard-session", hashlib.sha256).digest()


def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    # same-origin: Flask-WTF checks the Referer of HTTPS form posts; nothing leaks to other sites.
    response.headers["Referrer-Policy"] = "same-origin"
    return response
