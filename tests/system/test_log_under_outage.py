"""Nothing lost, nothing doubled while the database restarts under load.

The product as `make run` starts it, with DATABASE_URL on PostgreSQL (tracker store and
adoption log), takes COACH_OUTAGE_MESSAGES messages (10,000 by default) from 20 concurrent
senders through its REST channel; the database goes away twice mid-run. Every message that was
answered must be in the log exactly once, each sender under one pseudonym of their own.
(COACH_OUTAGE_MESSAGES=1000 makes a quicker run while working on it.)

The restarts go through tests/databases.py's TCP relay (open connections cut, new ones refused
for OUTAGE_SECONDS, then accepted again), not through `pg_ctlcluster restart` of this machine's
PostgreSQL: other tests use that server at the same time (parallel workers, the replica tests),
and a real restart would fail them.
"""

from __future__ import annotations

import asyncio
import os
import re
import string
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import aiohttp
import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.adoption_log.outbox import Outbox
from tests.databases import TcpProxy, fresh_postgres_database, through_proxy
from tests.system.product import PORT_VARIABLES, free_ports, running

pytestmark = pytest.mark.services

MESSAGES = int(os.environ.get("COACH_OUTAGE_MESSAGES", "10000"))
SENDERS = 20
OUTAGES = 2
OUTAGE_SECONDS = 6
PAUSE_AFTER_NO_ANSWER = 0.5  # as a person would wait before typing again, not a burst of retries


@dataclass(frozen=True)
class Sent:
    sender: str
    tag: str
    answered: bool
    after_the_outages: bool


@pytest.fixture
def product_on_postgres(product_env, tmp_path):
    for database_url in fresh_postgres_database():
        target = make_url(database_url)
        relay = TcpProxy(target.host, target.port or 5432).start()
        env = {
            **product_env,
            **dict(zip(PORT_VARIABLES, map(str, free_ports(len(PORT_VARIABLES))), strict=True)),
            "COACH_VAR_DIR": str(tmp_path),
            "DATABASE_URL": through_proxy(database_url, relay),
            "TELEGRAM_TOKEN": "",  # no connectors: only the REST channel is under test
            "SLACK_BOT_TOKEN": "",
        }
        try:
            with running(env) as product:
                yield product, relay, database_url
        finally:
            relay.stop()


def _tag() -> str:
    """A message id of letters only: the redaction leaves it alone, so it is found in the log."""
    return "".join(string.ascii_lowercase[int(c, 16)] for c in uuid.uuid4().hex[:16])


def _message(n: int, tag: str) -> str:
    """Mostly button clicks, which skip the language model (the costly part of a turn, and not what
    is under test here), and every tenth a typed objection; the id travels in the text either way."""
    return f"non ho tempo per il CRM {tag}" if n % 10 == 0 else f'/ask_tip{{"note": "{tag}"}}'


class Load:
    """The senders and the outages, on one event loop."""

    def __init__(self, url: str, relay: TcpProxy) -> None:
        self.url = url
        self.relay = relay
        self.sent: list[Sent] = []
        self.outages_over = False

    async def run(self) -> list[Sent]:
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=SENDERS)) as session:
            senders = [self._sender(session, f"outage-{n}-{uuid.uuid4()}", MESSAGES // SENDERS) for n in range(SENDERS)]
            await asyncio.gather(self._outages(), *senders)
        return self.sent

    async def _outages(self) -> None:
        # At a quarter and at half of the run: the second half shows the coach is itself again.
        for outage in range(1, OUTAGES + 1):
            while len(self.sent) < MESSAGES * outage // (2 * OUTAGES):
                await asyncio.sleep(0.05)
            self.relay.stop()
            await asyncio.sleep(OUTAGE_SECONDS)
            self.relay.start()
        self.outages_over = True

    async def _sender(self, session: aiohttp.ClientSession, sender: str, count: int) -> None:
        for n in range(count):
            tag, after = _tag(), self.outages_over
            answered = await self._say(session, sender, _message(n, tag))
            self.sent.append(Sent(sender, tag, answered, after))
            if not answered:
                await asyncio.sleep(PAUSE_AFTER_NO_ANSWER)

    async def _say(self, session: aiohttp.ClientSession, sender: str, message: str) -> bool:
        try:
            async with session.post(self.url, json={"sender": sender, "message": message}) as response:
                return response.status == 200 and bool(await response.json())
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False


def _logged(database_url: str, tags: set[str]) -> list[tuple[str, str]]:
    """(user, text) of the user rows, once each of `tags` is in one of them (or after three minutes).
    Not a count of rows: the probe's and the messages that were logged but not answered count too,
    so a count can be reached while answered messages still wait in the outbox."""
    engine = create_engine(database_url, future=True)
    deadline = time.monotonic() + 180
    try:
        while True:
            with engine.connect() as connection:
                rows = connection.execute(text("SELECT user_id, text FROM message_log WHERE direction = 'user'")).all()
            found = {word for _, said in rows for word in re.findall(r"[a-z]+", said or "")}
            if tags <= found or time.monotonic() > deadline:
                return [(user, said or "") for user, said in rows]
            time.sleep(2)  # the outbox delivers what waited during the outages in batches
    finally:
        engine.dispose()


def _why_missing(product, missing: int, answered: int) -> str:
    """What the product's log writer said, and what its outbox holds: where the rows stopped."""
    outbox = Outbox(product.log.with_name("outbox.db"))  # COACH_VAR_DIR's
    said = product.said("bot.adoption_log", "bot.rasa_plugins.event_broker", "Traceback", "Error:")
    return (
        f"{missing} of {answered} answered messages are not in the log; the outbox: {outbox.state()}; "
        f"the log writer and any error said ({len(said)} lines, the last 40):\n" + "\n".join(said[-40:])
    )


def test_every_answered_message_is_logged_once_across_two_database_restarts(product_on_postgres):
    product, relay, database_url = product_on_postgres
    probe = requests.post(product.rest_url, json={"sender": "outage-probe", "message": "/greet"}, timeout=120)
    assert probe.status_code == 200 and probe.json(), f"no answer before any outage: {probe.text[:300]}"
    sent = asyncio.run(Load(product.rest_url, relay).run())
    answered = [s for s in sent if s.answered]
    assert len(sent) == MESSAGES // SENDERS * SENDERS
    senders = {s.sender for s in sent}
    assert all(any(s.answered and s.after_the_outages for s in sent if s.sender == who) for who in senders), (
        "every sender is answered again once the database is back"
    )

    rows = _logged(database_url, {s.tag for s in answered})
    tag_of = {s.tag: s for s in sent}
    logged: Counter = Counter()
    users_of: dict[str, set] = {who: set() for who in senders}
    for user, said in rows:
        for word in re.findall(r"[a-z]+", said):
            if word in tag_of:
                logged[word] += 1
                users_of[tag_of[word].sender].add(user)

    assert [t for t, n in logged.items() if n > 1] == [], "a message is in the log twice"
    missing = [s.tag for s in answered if logged[s.tag] == 0]
    assert missing == [], _why_missing(product, len(missing), len(answered))
    assert all(len(users) == 1 for users in users_of.values()), "a sender's messages are under one pseudonym"
    assert len(set().union(*users_of.values())) == SENDERS, "and each sender has a pseudonym of their own"
    print(
        f"\n{len(sent)} messages, {len(answered)} answered, {len(logged)} logged "
        f"({len(logged) - len(answered)} logged without an answer)"
    )
