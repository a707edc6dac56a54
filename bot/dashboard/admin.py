"""The admins' page: add people with a role, change a role, remove people (never the last admin)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.dashboard.guard import requires
from bot.dashboard.services import services
from bot.dashboard.users import ROLES, UserError

blueprint = Blueprint("admin", __name__)


@blueprint.route("/users", methods=["GET", "POST"])
@requires("admin")
def manage_users() -> ResponseReturnValue:
    if request.method != "POST":
        return render_template("users.html", users=services()["users"].all(), roles=ROLES)
    _apply(request.form)
    return redirect(url_for("admin.manage_users"))


def _apply(form: Mapping[str, str]) -> None:
    """Applies the form's action; what it did, or why it was refused, becomes a flash message."""
    change = _CHANGES.get(form.get("action") or "")
    if change is None:
        abort(400)
    try:
        flash(change(form.get("username", "").strip(), form))
    except UserError as error:
        flash(str(error))


def _add(username: str, form: Mapping[str, str]) -> str:
    services()["users"].add(username, form.get("password", ""), form.get("role", "lead"))
    return f"{username} added."


def _change_role(username: str, form: Mapping[str, str]) -> str:
    services()["users"].set_role(username, form.get("role", ""))
    return f"{username} is now {form.get('role')}."


def _remove(username: str, form: Mapping[str, str]) -> str:
    services()["users"].remove(username)
    return f"{username} removed."


_CHANGES: dict[str, Callable[[str, Mapping[str, str]], str]] = {
    "add": _add,
    "role": _change_role,
    "remove": _remove,
}
