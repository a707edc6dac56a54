"""The Telegram connector's database work runs off the event loop, which serves every chat:
every statement runs in a worker thread, and while it runs the loop serves other work. Each
statement is held until the loop has run a callback it scheduled; a statement that blocked the
loop would wait for it in vain (a deadline of SERVED_WITHIN seconds only guards against that
hang) and be counted as not served.

The connector runs unchanged against the local Bot API server (tests/fakes/telegram_api.py);
the database is real (SQLite and PostgreSQL), only held.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import event
from telegram import Update

from bot.channels.access import Access
from bot.channels.rasa_client import CoachClient
from bot.channels.telegram import TelegramConfig, TelegramConnector
from tests.fakes.telegram_api import click, text_message

SERVED_WITHIN = 30  # seconds; reached only when a statement blocks the loop
CODE = "crm-pilot-2026"
STRANGER, MEMBER = 4001, 4002


class HeldDatabase:
    """Every statement on `engine` notes its thread, then waits until `loop` has run a callback
    it scheduled: proof that the loop was free while the statement ran."""

    def __init__(self, engine, loop: asyncio.AbstractEventLoop) -> None:
        self.threads: list[int] = []
        self.served: list[bool] = []
        self.engine, self.loop = engine, loop
        event.listen(engine, "before_cursor_execute", self._hold)

    def _hold(self, *args) -> None:
        self.threads.append(threading.get_ident())
        if not all(self.served):
            return  # the loop was found blocked once: no need to wait for it again
        served = threading.Event()
        self.loop.call_soon_threadsafe(served.set)
        self.served.append(served.wait(SERVED_WITHIN))

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._hold)


@pytest.fixture
def connector(engine, fake_telegram, monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("COACH_CONNECTOR_SECRET", "")
    config = TelegramConfig(fake_telegram.token, "http://127.0.0.1:9/unused", frozenset(), CODE, fake_telegram.base_url)
    access = Access("telegram", b"the-key-of-these-tests", engine, frozenset(), CODE)
    return TelegramConnector(config, CoachClient(config.coach_url, "telegram"), access)


async def _handle(connector: TelegramConnector, engine, update: dict) -> tuple[HeldDatabase, int]:
    """Handles one update with the database held: (the held database, the loop's thread)."""
    application = connector.build()
    await application.initialize()
    held = HeldDatabase(engine, asyncio.get_running_loop())
    try:
        await application.process_update(Update.de_json({"update_id": 1, **update}, application.bot))
    finally:
        held.close()
        await application.shutdown()
    return held, threading.get_ident()


def test_a_strangers_join_code_is_checked_in_a_worker_thread_while_the_loop_serves(connector, engine, fake_telegram):
    held, loop_thread = asyncio.run(_handle(connector, engine, text_message(STRANGER, "a-wrong-guess")))

    assert len(held.threads) >= 3, "membership, lock and the wrong code's count are all database work"
    assert loop_thread not in held.threads, "a database statement ran on the event loop's thread"
    assert all(held.served), "the loop was blocked while a statement ran"
    [refusal] = fake_telegram.sent(STRANGER)
    assert refusal["text"] == connector.coach.say("not_allowed", "it")


def test_a_button_click_checks_membership_off_the_loop(connector, engine, fake_telegram):
    held, loop_thread = asyncio.run(_handle(connector, engine, click(MEMBER, "/tip")))

    assert held.threads and loop_thread not in held.threads and all(held.served)
    assert fake_telegram.sent(MEMBER) == [], "a stranger's click reaches nobody"
