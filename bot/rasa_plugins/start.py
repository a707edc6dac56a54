"""`python -m bot.rasa_plugins.start ARGS`: Rasa's own command line (`rasa ARGS`), with the
coach's adjustments to Rasa applied first (bot/rasa_plugins/patches.py).

`make run`, the replicas in deploy/ and the benchmark start the Rasa server and the
action server this way. `endpoints.yml` reads the action server's port from
ACTIONS_PORT, defaulted here so that a bare start finds the default action server.
"""

from __future__ import annotations

import os
import sys

DEFAULT_ACTIONS_PORT = "5055"


def main() -> None:
    from bot.rasa_plugins import patches

    patches.apply()
    os.environ.setdefault("ACTIONS_PORT", DEFAULT_ACTIONS_PORT)
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
