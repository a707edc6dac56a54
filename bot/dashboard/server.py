"""The dashboard's production WSGI server: waitress (pure Python, threads, request limits),
not werkzeug's development server.

Behind a proxy every request comes from the proxy's address, which would make the login
throttle lock everyone out together; COACH_DASHBOARD_PROXY names that proxy, whose
X-Forwarded-For and X-Forwarded-Proto are then believed (from it only: anyone else's are
dropped)."""

from __future__ import annotations

from typing import Any

from waitress.server import create_server

# The largest thing a person posts: a company document (2 MB, bot/knowledge/documents.py) and its form.
MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024


def make_server(app: Any, host: str, port: int, threads: int = 8, proxy: str | None = None) -> Any:
    """A bound server: `.run()` serves until `.close()`; `.effective_port` is the port taken (0 = any free);
    `proxy` is the address of the one proxy in front of it, if any."""
    trusted: dict[str, Any] = {
        "trusted_proxy": proxy,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
    }
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=MAX_REQUEST_BODY_BYTES,
        ident="coach-dashboard",
        clear_untrusted_proxy_headers=True,
        **(trusted if proxy else {}),
    )
