"""Two Rasa replicas on 127.0.0.1 sharing this machine's PostgreSQL (tracker store, log) and
Redis (lock store), as deploy/ describes: the messages of one conversation, sent to both
replicas, are processed one at a time and in order; none is lost or doubled."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import aiohttp
import pytest
from sqlalchemy import create_engine, text

from bot.privacy.pseudonyms import pseudonym
from bot.run import action_server, rasa_server
from tests.conftest import ROOT
from tests.databases import fresh_postgres_database
from tests.services import redis_unavailable, unavailable
from tests.system.product import MODEL, free_ports, port_in_use, require_model

KEY = "replica-test-key"
SCRIPT = [
    "non ho tempo per compilare il CRM",
    "/ask_more",
    "mis clientes son míos",
    "/ask_tip",
    "they want the data to fire me",
    "grazie mille",
]


@dataclass(frozen=True)
class Replicas:
    database_url: str
    ports: tuple[int, int]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    reason = redis_unavailable()
    if reason:
        unavailable(reason, "a Redis server on 127.0.0.1:6379")
    require_model()
    *ports, actions = free_ports(3)
    for database_url in fresh_postgres_database():
        var = tmp_path_factory.mktemp("replicas")
        base = {
            **os.environ,
            "DATABASE_URL": database_url,
            "COACH_SECRET_KEY": KEY,
            "COACH_VAR_DIR": str(var),
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": "6379",
            "REDIS_DB": "5",
            "RASA_TELEMETRY_ENABLED": "false",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions}/webhook",
        }
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "db", "upgrade"], env=base, cwd=ROOT, check=True, capture_output=True
        )
        processes = [
            subprocess.Popen(
                action_server(actions),
                env={**base, "SANIC_HOST": "127.0.0.1"},
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        ]
        for n, port in enumerate(ports):
            env = {**base, "COACH_OUTBOX_FILE": str(var / f"outbox-{n}.db")}
            with open(var / f"replica-{n}.log", "w") as log:  # the replica keeps writing to it
                processes.append(
                    subprocess.Popen(
                        rasa_server("127.0.0.1", port, MODEL, "deploy/endpoints.yml"),
                        env=env,
                        cwd=ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        try:
            deadline = time.monotonic() + 240
            while not all(port_in_use(p) for p in (*ports, actions)):
                assert all(p.poll() is None for p in processes), "a replica stopped while starting"
                assert time.monotonic() < deadline, "the replicas did not start"
                time.sleep(1)
            yield Replicas(database_url, tuple(ports))
        finally:
            for process in processes:
                process.send_signal(signal.SIGINT)
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


async def _say(session, port, sender, message):
    async with session.post(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook", json={"sender": sender, "message": message}
    ) as response:
        assert response.status == 200
        return await response.json()


async def _in_turns(ports, senders):
    """Each conversation's turns alternate between the replicas; the conversations run at once."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:

        async def converse(sender):
            for turn, message in enumerate(SCRIPT):
                await _say(session, ports[turn % 2], sender, message)

        await asyncio.gather(*(converse(s) for s in senders))


async def _at_once(ports, senders):
    """Two messages of the same conversation reach the two replicas at the same moment."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(
            *(
                _say(session, port, sender, message)
                for sender in senders
                for port, message in zip(ports, ("non ho tempo per il CRM", "grazie, mi è utile"), strict=True)
            )
        )


def _turns(database_url, sender):
    """The conversation as the tracker store holds it: user and bot events in stored order."""
    engine = create_engine(database_url, future=True)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT type_name, data FROM events WHERE sender_id = :s AND type_name IN ('user', 'bot') ORDER BY id"
            ),
            {"s": pseudonym(KEY.encode(), "rest", sender)},
        ).all()
    engine.dispose()
    return [(kind, json.loads(data).get("text")) for kind, data in rows]


def _logged_user_messages(database_url, sender):
    engine = create_engine(database_url, future=True)
    deadline = time.monotonic() + 30
    with engine.connect() as connection:
        while True:
            count = connection.execute(
                text("SELECT COUNT(*) FROM message_log WHERE user_id = :u AND direction = 'user'"),
                {"u": pseudonym(KEY.encode(), "rest", sender)},
            ).scalar_one()
            if count >= len(SCRIPT) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    engine.dispose()
    return count


def test_turns_sent_to_alternating_replicas_stay_in_order(replicas):
    senders = [f"replica-{uuid.uuid4()}" for _ in range(8)]
    asyncio.run(_in_turns(replicas.ports, senders))
    for sender in senders:
        turns = _turns(replicas.database_url, sender)
        assert [kind for kind, _ in turns] == ["user", "bot"] * len(SCRIPT), turns
        assert [t for kind, t in turns if kind == "user"] == SCRIPT
        assert _logged_user_messages(replicas.database_url, sender) == len(SCRIPT), "every message logged once"


def test_two_messages_of_one_conversation_at_once_are_processed_one_after_the_other(replicas):
    senders = [f"together-{uuid.uuid4()}" for _ in range(10)]
    asyncio.run(_at_once(replicas.ports, senders))
    for sender in senders:
        turns = _turns(replicas.database_url, sender)
        assert [kind for kind, _ in turns] == ["user", "bot", "user", "bot"], turns
        assert sorted(t for kind, t in turns if kind == "user") == ["grazie, mi è utile", "non ho tempo per il CRM"]
