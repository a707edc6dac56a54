"""`python -m bench.tracker_store`: what the coach's tracker store costs a turn (figures, not a test).

Rasa loads the conversation before each turn and saves it after. This times that pair on the
store Rasa runs (bot/rasa_plugins/tracker_store.py), with the conversations it keeps in memory
and with none kept (every turn loaded from the database, as before the store kept any), over
conversations of 6 turns (the load benchmark's) and 60. Each turn has the events a coaching
reply stores: the user's message with its parse, three slots, the action and its reply.

    .venv/bin/python -m bench.tracker_store [--database-url postgresql://...] [--conversations 40]

The database is a new SQLite file in a temporary folder unless --database-url names one
(its `events` table is left with the benchmark's conversations, senders `bench-...`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_plugins import tracker_store
from bot.rasa_plugins.tracker_store import PrivateSQLTrackerStore

ROOT = Path(__file__).resolve().parents[1]
INTENTS = [f"objection_{n}" for n in range(10)]
REPLY = "Capisco: il tempo è poco. Proprio per questo il CRM ti evita di cercare le informazioni. " * 3


def _turn(tracker: DialogueStateTracker, number: int) -> None:
    ranking = [{"name": name, "confidence": 0.1} for name in INTENTS]
    parse = {"intent": ranking[0], "intent_ranking": ranking, "entities": [], "text": f"non ho tempo {number}"}
    for event in (
        UserUttered(f"non ho tempo {number}", intent=ranking[0], parse_data=parse),
        SlotSet("language", "it"),
        SlotSet("kb_entry", "no_time"),
        SlotSet("last_reply_key", "no_time"),
        ActionExecuted("action_coach"),
        BotUttered(REPLY, metadata={"source": "knowledge/sources/it-tempo.md", "language": "it"}),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)


async def _conversation(store: TrackerStore, sender: str, turns: int) -> list[float]:
    """Seconds of load and save for each turn after the first."""
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        tracker.update(event)
    _turn(tracker, 0)
    await store.save(tracker)
    spent = []
    for number in range(1, turns):
        start = time.perf_counter()
        tracker = await store.retrieve(sender)
        assert tracker is not None
        _turn(tracker, number)
        await store.save(tracker)
        spent.append(time.perf_counter() - start)
    return spent


def measure(kept: int, turns: int, conversations: int, run: str) -> list[float]:
    tracker_store.KEPT_EVENTS = kept
    store = PrivateSQLTrackerStore(domain=Domain.load(str(ROOT / "domain.yml")))
    spent: list[float] = []
    for number in range(conversations):  # wrapped as Rasa's agent wraps it
        spent += asyncio.run(_conversation(FailSafeTrackerStore(store), f"bench-{run}-{kept}-{turns}-{number}", turns))
    store.engine.dispose()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--conversations", type=int, default=40)
    args = parser.parse_args()
    default_kept = tracker_store.KEPT_EVENTS
    with tempfile.TemporaryDirectory() as folder:
        os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{folder}/tracker.db"
        run = str(int(time.time()))
        print(f"{'conversation':>12} {'kept events':>11} {'turns timed':>11} {'median ms':>9} {'p95 ms':>7}")
        for turns in (6, 60):
            conversations = max(2, args.conversations * 6 // turns)
            for kept in (default_kept, 0):
                spent = sorted(measure(kept, turns, conversations, run))
                median, p95 = statistics.median(spent), spent[int(0.95 * (len(spent) - 1))]
                print(f"{turns:>6} turns {kept:>11} {len(spent):>11} {median * 1000:>9.2f} {p95 * 1000:>7.2f}")


if __name__ == "__main__":
    main()
