"""Who is asking and what they may open: the logged-in user of each request, then the
least role a page needs (`requires`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import abort, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from bot.dashboard.services import services

P = ParamSpec("P")


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
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate
