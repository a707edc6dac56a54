"""Who is asking and what they may open: the logged-in user of each request, then the
least role a page needs (`requires`); a lesser role gets a page that says who it is for (`refuse`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import NoReturn, ParamSpec

from flask import abort, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext

from bot.dashboard.services import services
from bot.dashboard.users import ROLE_NAMES

P = ParamSpec("P")
FOR_WHOM = {
    "lead": lazy_gettext("This page is for adoption leads, trainers and admins."),
    "trainer": lazy_gettext("This page is for trainers and admins; adoption leads see aggregates only."),
    "admin": lazy_gettext(
        "This page is for admins, who add people and change roles; ask one if you need a different role."
    ),
}


def load_user() -> None:
    """Before each request: `g.user` is the logged-in user, or None."""
    name = session.get("user")
    g.user = services()["users"].get(name) if name else None


def requires(
    role: str,
) -> Callable[[Callable[P, ResponseReturnValue]], Callable[P, ResponseReturnValue]]:
    """A view for `role` and the roles above it: the login page first for a visitor, 403 for a lesser role."""

    def decorate(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            if g.get("user") is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if not g.user.may(role):
                refuse(role)
            return view(*args, **kwargs)

        return guarded

    return decorate


def refuse(role: str) -> NoReturn:
    """A 403 whose page says who the page is for and who is logged in."""
    logged_in = gettext(
        "You are logged in as %(username)s (%(role)s).", username=g.user.username, role=ROLE_NAMES[g.user.role]
    )
    abort(403, f"{FOR_WHOM[role]} {logged_in}")
