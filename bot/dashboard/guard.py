"""Page access by role: a login first, then the least role a page needs."""
from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, url_for


def requires(role: str):
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if g.get("user") is None:
                return redirect(url_for("login", next=request.full_path))
            if not g.user.may(role):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate
