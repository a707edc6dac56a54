"""The Telegram connector's database work runs off the event loop, which serves every chat: with
a database that takes half a second per statement, the loop keeps ticking while a stranger's
join code is checked, and every statement runs in a worker thread, not the loop's.

The connector runs unchanged against the local Bot API server (tests/fakes/telegram_api.py);
the database is real (SQLite and PostgreSQL), only slowed down.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import event
from telegram import Update

from bot.channels.access import Access
from bot.channels.rasa_client import CoachClient
from bot.channels.telegram import TelegramConfig, TelegramConnector
from tests.fakes.telegram_api import FakeTelegram, click, text_message

SLOW_STATEMENT = 0.5  # seconds
TICK = 0.02
CODE = "crm-pilot-2026"
STRANGER, MEMBER = 4001, 4002


class SlowDatabase:
    """Every statement on `engine` sleeps first and notes the thread it ran in."""

    def __init__(self, engine) -> None:
        self.threads: list[int] = []
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._slow_down)

    def _slow_down(self, *args) -> None:
        self.threads.append(threading.get_ident())
        time.sleep(SLOW_STATEMENT)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._slow_down)


@pytest.fixture
def fake_telegram():
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture
def connector(engine, fake_telegram, monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("COACH_CONNECTOR_SECRET", "")
    config = TelegramConfig(fake_telegram.token, "http://127.0.0.1:9/unused", frozenset(), CODE, fake_telegram.base_url)
    access = Access("telegram", b"the-key-of-these-tests", engine, frozenset(), CODE)
    return TelegramConnector(config, CoachClient(config.coach_url, "telegram"), access)


async def _handle_while_ticking(connector: TelegramConnector, update: dict) -> tuple[int, int]:
    """Handles one update on this event loop while another coroutine ticks: (ticks, loop's thread)."""
    application = connector.build()
    await application.initialize()
    ticks = 0
    handled = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not handled.is_set():
            await asyncio.sleep(TICK)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        await application.process_update(Update.de_json({"update_id": 1, **update}, application.bot))
    finally:
        handled.set()
        await ticking
        await application.shutdown()
    return ticks, threading.get_ident()


def _off_the_loop(connector, engine, update) -> tuple[SlowDatabase, int, int, float]:
    slow = SlowDatabase(engine)
    try:
        started = time.monotonic()
        ticks, loop_thread = asyncio.run(_handle_while_ticking(connector, update))
        return slow, ticks, loop_thread, time.monotonic() - started
    finally:
        slow.close()


def test_a_strangers_join_code_is_checked_in_a_worker_thread_while_the_loop_ticks(connector, engine, fake_telegram):
    slow, ticks, loop_thread, took = _off_the_loop(connector, engine, text_message(STRANGER, "a-wrong-guess"))

    statements = len(slow.threads)
    assert statements >= 3, "membership, lock and the wrong code's count are all database work"
    assert loop_thread not in slow.threads, "a database statement ran on the event loop's thread"
    # The loop was free for most of the time the statements took (a blocked loop ticks not at all).
    assert ticks >= 0.5 * statements * SLOW_STATEMENT / TICK, (ticks, statements, took)
    [refusal] = fake_telegram.sent(STRANGER)
    assert refusal["text"] == connector.coach.say("not_allowed", "it")


def test_a_button_click_checks_membership_off_the_loop(connector, engine, fake_telegram):
    slow, ticks, loop_thread, _ = _off_the_loop(connector, engine, click(MEMBER, "/tip"))

    assert slow.threads and loop_thread not in slow.threads
    assert ticks >= 0.5 * SLOW_STATEMENT / TICK
    assert fake_telegram.sent(MEMBER) == [], "a stranger's click reaches nobody"
