"""Logging in and out of the dashboard: a fresh session per login, ended by logging out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from bot.dashboard.services import services
from bot.dashboard.users import User

blueprint = Blueprint("auth", __name__)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method != "POST":
        return render_template("login.html")
    user = services()["users"].authenticate(request.form.get("username", ""), request.form.get("password", ""))
    if user is None:
        flash("Wrong username or password.")
        return render_template("login.html"), 401
    _start_session(user)
    return redirect(_after_login())


def _start_session(user: User) -> None:
    session.clear()  # a fresh session: no fixation
    session["user"] = user.username
    session.permanent = True


def _after_login() -> str:
    """The page `?next=` names if it is a path on this site, else the overview."""
    target = request.args.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else url_for("analytics.overview")


@blueprint.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    session.clear()
    return redirect(url_for("auth.login"))
