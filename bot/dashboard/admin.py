"""The admins' pages: add people with a role, change a role, remove people (never the last admin);
the adoption log's dead letters (rows the log database refused, with the redacted text)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from bot.dashboard.guard import requires
from bot.dashboard.services import services
from bot.dashboard.users import ROLE_NAMES, ROLES, UserError

blueprint = Blueprint("admin", __name__)
SHOWN_DEAD_LETTERS = 200
LETTER_ID = re.compile(r"[0-9]{1,9}")  # ASCII digits that fit the column: anything else is a bad request


@blueprint.route("/users", methods=["GET", "POST"])
@requires("admin")
def manage_users() -> ResponseReturnValue:
    if request.method != "POST":
        return render_template("users.html", users=services()["users"].all(), roles=ROLES)
    _apply(request.form)
    return redirect(url_for("admin.manage_users"))


@blueprint.route("/dead-letters", methods=["GET", "POST"])
@requires("admin")  # the rows hold (redacted) user text: admins only
def dead_letters() -> ResponseReturnValue:
    store = services()["store"]
    if request.method == "POST":
        letter = request.form.get("letter", "")
        if not LETTER_ID.fullmatch(letter):
            abort(400)
        flash(
            gettext("Dead letter discarded.")
            if store.discard_dead_letter(int(letter))
            else gettext("That dead letter was gone already.")
        )
        return redirect(url_for("admin.dead_letters"))
    return render_template(
        "dead_letters.html", letters=store.dead_letters(SHOWN_DEAD_LETTERS), total=store.dead_letter_count()
    )


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
    return gettext("%(username)s added.", username=username)


def _change_role(username: str, form: Mapping[str, str]) -> str:
    services()["users"].set_role(username, form.get("role", ""))
    return gettext("%(username)s is now %(role)s.", username=username, role=ROLE_NAMES[form.get("role", "")])


def _remove(username: str, form: Mapping[str, str]) -> str:
    services()["users"].remove(username)
    return gettext("%(username)s removed.", username=username)


_CHANGES: dict[str, Callable[[str, Mapping[str, str]], str]] = {
    "add": _add,
    "role": _change_role,
    "remove": _remove,
}
