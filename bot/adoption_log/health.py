"""`coach log status`: is the adoption log flowing? Rows waiting in this machine's outbox, when
it last delivered, and the dead letters (rows the database refused, kept aside).

Exit code (for a monitoring check): 0 when all is well; 1 when dead letters exist, the outbox
is over 80 % full, or the log database cannot be read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from bot.adoption_log.outbox import Outbox, OutboxState
from bot.adoption_log.store import DeadLetter, LogStore
from bot.settings import Settings

ALARM_FILL = 0.8
SHOWN_REASONS = 5


@dataclass(frozen=True)
class LogHealth:
    outbox: OutboxState
    dead_letters: int
    recent: list[DeadLetter]
    database_error: str | None

    def problems(self) -> list[str]:
        found = []
        if self.database_error:
            found.append(f"the log database cannot be read: {self.database_error}")
        if self.dead_letters:
            found.append(f"{self.dead_letters} dead letters: rows the database refused")
        if self.outbox.fill > ALARM_FILL:
            found.append(f"the outbox is {self.outbox.fill:.0%} full")
        return found


def check(settings: Settings) -> LogHealth:
    outbox = Outbox(settings.outbox_file, settings.outbox_max_rows)
    try:
        state = outbox.state()
    finally:
        outbox.close()
    store = LogStore(settings.log_db_url)
    try:
        store.migrate()  # as every command that opens the log: a new database gets its tables
        return LogHealth(state, store.dead_letter_count(), store.dead_letters(SHOWN_REASONS), None)
    except SQLAlchemyError as error:
        first_line = (str(getattr(error, "orig", None) or error).strip().splitlines() or [""])[0]
        return LogHealth(state, 0, [], f"{error.__class__.__name__}: {first_line}")
    finally:
        store.close()


def report(health: LogHealth) -> str:
    state = health.outbox
    last = f"{state.last_delivery:%Y-%m-%d %H:%M:%S} UTC" if state.last_delivery else "never (from this outbox)"
    lines = [
        f"outbox: {state.pending} rows waiting of at most {state.max_rows} ({state.fill:.0%})",
        f"last delivery: {last}",
    ]
    if state.refused:
        lines.append(f"refused while the outbox was full: {state.refused} rows (lost)")
    if health.database_error is None:
        lines.append(f"dead letters: {health.dead_letters}")
        lines += [f"  {d.created_at:%Y-%m-%d %H:%M} UTC  {d.kind}  {d.reason}" for d in health.recent]
    lines += [f"PROBLEM: {problem}" for problem in health.problems()]
    return "\n".join(lines)
