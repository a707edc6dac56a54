"""`coach digest [--team T] [--week YYYY-Www] [--lang it|es|en] [--output FILE] [--send]`: one
week's digest, printed as its chat text, written as an HTML file that opens in a browser
(charts inline), and/or sent to the configured destinations.

Exit codes: 0 done; 1 no digest for a group under 5 people, or a destination failed; 2 a bad
week or team, or nothing configured for --send (the message says which).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.digest import delivery, render
from bot.digest import settings as digest_settings
from bot.digest.figures import DigestError, TooFewPeopleError, Week
from bot.knowledge import base as knowledge


def _say(line: str) -> None:
    print(f"coach: {line}", file=sys.stderr)


def run(
    engine: Engine,
    knowledge_dir: Path,
    week: str | None,
    team: str | None,
    language: str | None,
    output: str | None,
    send: bool,
) -> int:
    configured = digest_settings.load()
    today = dt.datetime.now(configured.timezone).date()
    try:
        chosen = Week.parse(week) if week else Week.last_complete(today)
        digest = render.build(engine, knowledge.load(knowledge_dir), chosen, team, language or configured.language)
    except TooFewPeopleError as small:
        _say(f"no digest: {small}")
        return 1
    except DigestError as error:
        _say(str(error))
        return 2
    print(digest.chat_text())
    if output:
        Path(output).write_text(digest.html_file(), encoding="utf-8")
        _say(f"wrote {output}")
    if not send:
        return 0
    try:
        result = delivery.deliver(configured, digest)
    except delivery.DeliveryError as nowhere:
        _say(str(nowhere))
        return 2
    for line in result.sent:
        _say(f"sent: {line}")
    for line in result.failed:
        _say(f"NOT SENT: {line}")
    return 1 if result.failed else 0
