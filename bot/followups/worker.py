"""`python -m bot.followups.worker`: every minute, plans what is new (bot/followups/planner.py)
and sends what is due (bot/followups/dispatcher.py) through the connectors configured here.

`make run` starts it when a Telegram or Slack connector is configured (bot/run.py), and its
Supervisor restarts it with back-off if it stops. SIGTERM or SIGINT stop it between two passes
(a pass under way finishes, so no claim is left behind). Each replica may run one: claims in
the database make every message go out once. A database that is down costs a pass, not the
process: the next pass tries again.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
import threading
from collections.abc import Callable, Mapping

from sqlalchemy.exc import SQLAlchemyError

from bot.adoption_log.store import LogStore
from bot.db import utc_now
from bot.followups import senders as platform_senders
from bot.followups.dispatcher import Dispatcher, Sender, composer, replica_name
from bot.followups.logbook import Logbook
from bot.followups.planner import Planner
from bot.followups.schedule import Schedule
from bot.followups.store import FollowupStore
from bot.knowledge.base import KnowledgeBase

logger = logging.getLogger(__name__)

PASS_SECONDS = 60.0


class Worker:
    def __init__(self, planner: Planner, dispatcher: Dispatcher) -> None:
        self.planner, self.dispatcher = planner, dispatcher

    def run_once(self, now: dt.datetime) -> int:
        """One pass at `now` (naive UTC): plans, then sends what is due; returns how many went out."""
        self.planner.plan(now)
        return self.dispatcher.tick(now)

    def run(self, stop: threading.Event, seconds: float = PASS_SECONDS) -> None:
        """Passes every `seconds` until `stop` is set."""
        while not stop.is_set():
            try:
                sent = self.run_once(utc_now())
            except SQLAlchemyError as error:
                logger.warning("No follow-ups this pass, the database failed: %s", error.__class__.__name__)
            else:
                if sent:
                    logger.info("%d follow-up(s) sent", sent)
            stop.wait(seconds)


def build(
    log: LogStore,
    key: bytes,
    knowledge: Callable[[], KnowledgeBase],
    schedule: Schedule,
    senders: Mapping[str, Sender],
) -> Worker:
    store = FollowupStore(log.engine)
    planner = Planner(store, schedule, lambda: knowledge().entries)
    compose = composer(log.engine, knowledge)
    return Worker(planner, Dispatcher(store, schedule, senders, compose, replica_name(), Logbook(log, key)))


def main() -> int:
    from bot import settings
    from bot.knowledge.reload import LiveKnowledge
    from bot.privacy.pseudonyms import load_key

    logging.basicConfig(level=logging.INFO, format="followups: %(levelname)s %(message)s")
    for chatty in ("httpx", "alembic"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        current = settings.load()  # reads .env into the environment first
        schedule = Schedule.from_environment()
    except settings.SettingsError as error:
        print(f"followups: not started: {error}", file=sys.stderr)
        return 2
    senders = platform_senders.from_environment()
    if not senders:
        print("followups: not started: no Telegram or Slack connector is configured", file=sys.stderr)
        return 2
    store = LogStore(current.log_db_url)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        store.migrate()
        # The knowledge as trainers edit it: a change reaches the next message, without a restart.
        key = load_key(current.secret_key, current.secret_key_file)
        worker = build(store, key, LiveKnowledge(current.knowledge_dir).get, schedule, senders)
        print(
            f"followups: started ({', '.join(senders)}; {schedule.zone.key}, {schedule.start_hour}-{schedule.end_hour})",
            file=sys.stderr,
            flush=True,
        )
        worker.run(stop)
    except SQLAlchemyError as error:
        print(f"followups: stopped: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 1
    finally:
        for sender in senders.values():
            sender.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
