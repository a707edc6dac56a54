"""`python -m bot.rasa_plugins.start ARGS`: Rasa's own command line (`rasa ARGS`), with the
coach's adjustments to Rasa applied first (bot/rasa_plugins/patches.py) and its doors closed.

`make run`, the replicas in deploy/ and the benchmark start the Rasa server and the
action server this way. `endpoints.yml` reads the action server's port from
ACTIONS_PORT, defaulted here so that a bare start finds the default action server.

- Rasa's HTTP API (`run --enable-api`: trackers, `PUT /model`) answers only with the API
  token: RASA_API_TOKEN, else `var/rasa_api.token`, generated on first use (owner-only).
  It is added to Rasa's arguments inside this process, not on the command line, where
  any user of the machine could read it (`ps`).
- The action server (`run actions`) listens on ACTIONS_HOST, 127.0.0.1 unless set, and
  answers only calls that carry the actions token (ACTIONS_TOKEN, else `var/actions.token`),
  which endpoints.yml makes the Rasa server send (patches.guard_action_server).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

DEFAULT_ACTIONS_PORT = "5055"
DEFAULT_ACTIONS_HOST = "127.0.0.1"
# Rasa's options that set its API's authentication: one given explicitly is left alone.
AUTHENTICATION_OPTIONS = ("-t", "--auth-token", "--jwt-secret")


def api_token(current: Settings) -> str:
    """The token of Rasa's HTTP API; every client of the API (`coach train --reload-url`) sends it."""
    from bot.privacy.pseudonyms import load_key

    return load_key(current.rasa_api_token, current.rasa_api_token_file).decode()


def actions_token(current: Settings) -> str:
    """The secret the Rasa server sends the action server with each call."""
    from bot.privacy.pseudonyms import load_key

    return load_key(current.actions_token, current.actions_token_file).decode()


def action_server_host(environ: Mapping[str, str] = os.environ) -> str:
    """Where the action server listens: ACTIONS_HOST, else 127.0.0.1 (never rasa-sdk's own
    default, every interface, even when SANIC_HOST says so)."""
    return environ.get("ACTIONS_HOST", "").strip() or DEFAULT_ACTIONS_HOST


def with_api_token(arguments: Sequence[str], current: Settings) -> list[str]:
    """Rasa's arguments, plus the API token where they turn the API on without authentication."""
    arguments = list(arguments)
    api_on = arguments[:1] == ["run"] and "--enable-api" in arguments
    authenticated = any(argument.split("=")[0] in AUTHENTICATION_OPTIONS for argument in arguments)
    if api_on and not authenticated:
        arguments += ["--auth-token", api_token(current)]
    return arguments


def main() -> int:
    from bot import settings
    from bot.rasa_plugins import patches

    try:
        current = settings.load()
    except settings.SettingsError as error:
        print(f"coach: {error}", file=sys.stderr)
        return 2
    patches.apply()
    arguments = sys.argv[1:]
    os.environ.setdefault("ACTIONS_PORT", DEFAULT_ACTIONS_PORT)
    os.environ["ACTIONS_TOKEN"] = actions_token(current)  # endpoints.yml sends it
    if arguments[:2] == ["run", "actions"]:
        os.environ["SANIC_HOST"] = action_server_host()  # what rasa-sdk reads
        patches.guard_action_server(os.environ["ACTIONS_TOKEN"])
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *with_api_token(arguments, current)]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
