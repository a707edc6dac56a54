"""Logging in and out of the dashboard: a fresh session per login, ended by logging out;
failed logins are throttled (`throttle`) and a login only returns to a page of this site.
Also the logged-in user's choice of the dashboard's language (kept by `locale`)."""

from __future__ import annotations

import math
import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from bot.dashboard import locale
from bot.dashboard.guard import requires
from bot.dashboard.services import services
from bot.dashboard.throttle import BusyError
from bot.dashboard.users import MAX_USERNAME, User

MAX_NEXT = 2000  # characters of a `?next=` page

blueprint = Blueprint("auth", __name__)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method != "POST":
        return render_template("login.html")
    username = request.form.get("username", "")[:MAX_USERNAME]
    address = request.remote_addr or "unknown"
    throttle = services()["throttle"]
    wait = throttle.wait_seconds(username, address)
    if wait:
        return _too_many(
            gettext("Too many failed logins. Try again in %(seconds)d seconds.", seconds=math.ceil(wait)), wait
        )
    try:
        with throttle.password_check():
            user = services()["users"].authenticate(username, request.form.get("password", ""))
    except BusyError:
        return _too_many(gettext("Many logins are being checked right now. Try again in a few seconds."), 5)
    if user is None:
        throttle.failed(username, address)
        flash(gettext("Wrong username or password."))
        return render_template("login.html"), 401
    throttle.succeeded(username)
    _start_session(user)
    return redirect(_after_login())


def _too_many(text: str, retry_after: float) -> ResponseReturnValue:
    page = render_template("message.html", title=gettext("Please wait"), text=text)
    return page, 429, {"Retry-After": str(math.ceil(retry_after))}


def _start_session(user: User) -> None:
    session.clear()  # a fresh session: no fixation
    session["user"] = user.username
    session.permanent = True


def _after_login() -> str:
    """The page `?next=` names if it is a path on this site, else the overview."""
    return same_site_path(request.args.get("next") or "") or url_for("analytics.overview")


def same_site_path(target: str) -> str | None:
    """`target` if it is a path on this site; None for anything a browser could take elsewhere:
    a scheme or host, `//`, a backslash, whitespace or control characters (browsers drop some,
    so `/<tab>/evil.example` becomes `//evil.example`), also once more percent-decoded."""
    path = target.split("?", 1)[0]
    if len(target) > MAX_NEXT or not _plain(target) or not _plain(unquote(path)):
        return None
    if not path.startswith("/") or unquote(path).startswith("//"):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _plain(text: str) -> bool:
    return not any(c == "\\" or c.isspace() or unicodedata.category(c).startswith("C") for c in text)


@blueprint.route("/language", methods=["POST"])
@requires("lead")
def choose_language() -> ResponseReturnValue:
    """Saves the chosen language (or the browser's) in the user's profile, back on the page it was chosen on."""
    locale.save_choice(request.form.get("language", locale.FOLLOW_THE_BROWSER))
    return redirect(same_site_path(request.form.get("next", "")) or url_for("analytics.overview"))


@blueprint.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    session.clear()
    return redirect(url_for("auth.login"))
