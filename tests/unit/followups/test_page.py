"""The web chat's follow-ups (bot/followups/page.py): what is due waits for the page and is shown
once, only when due, only to someone who agreed; the worker leaves it alone. The clock is a list
the test moves: nothing sleeps."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from sqlalchemy import select

from bot.adoption_log.store import LogStore, MessageRow
from bot.followups.page import PAGE, PageFollowups
from bot.followups.store import DUE, ON, PULSE, SENT, TIP_CHECK, FollowupStore
from bot.followups.worker import build
from bot.knowledge import base as knowledge
from bot.privacy.pseudonyms import pseudonym
from tests.unit.followups.conftest import MONDAY, ROME, RecordingSender, tip_row

KB = knowledge.load()
KEY = b"page-key"
TIP_AT = MONDAY + dt.timedelta(hours=2)  # Monday 10:00 in Rome
THURSDAY_TEN = MONDAY + dt.timedelta(days=3, hours=2)  # its check is due


def _say(lang: str, key: str) -> str:
    return KB.conversation[lang].texts[key][0]


def _page(log: LogStore, clock: list[dt.datetime]) -> PageFollowups:
    return PageFollowups(log, KEY, lambda: KB, ROME, clock=lambda: clock[0])


def _user(account: str) -> str:
    return pseudonym(KEY, "webchat", account)


def _agree_and_get_a_tip(page: PageFollowups, log: LogStore, account: str) -> str:
    assert page.handle(account, "/nudges on", "it")[0].text == _say("it", "followup_on")
    log.add([replace(tip_row(_user(account), TIP_AT, "objection_no_time"), channel="webchat")])
    return _user(account)


def test_a_due_follow_up_is_shown_once_with_its_buttons_and_its_answer_comes_back(log):
    clock = [MONDAY]
    page = _page(log, clock)
    user = _agree_and_get_a_tip(page, log, "web-1")
    consent = FollowupStore(log.engine).consent(user)
    assert (consent.state, consent.channel, consent.address) == (ON, "webchat", PAGE)

    clock[0] = TIP_AT + dt.timedelta(hours=1)
    assert page.due("web-1") == []  # planned when the page opened, due on Thursday
    [planned] = FollowupStore(log.engine).messages(user)
    assert (planned.kind, planned.state, planned.due_at) == (TIP_CHECK, DUE, THURSDAY_TEN)

    clock[0] = THURSDAY_TEN
    [shown] = page.due("web-1")
    assert shown.text.startswith(_say("it", "followup_tip_check"))
    assert KB.entry("objection_no_time").answers["it"].tip in shown.text
    assert [payload for _, payload in shown.buttons] == [
        f"/followup {planned.id} {answer}" for answer in ("helped", "not_helped", "not_yet")
    ] + ["/nudges off"]
    assert page.due("web-1") == []  # a reload, another tab: shown once
    assert [m.state for m in FollowupStore(log.engine).messages(user)] == [SENT]

    answer = f"/followup {planned.id} helped"
    assert page.handle("web-1", answer, "it")[0].text == _say("it", "followup_thanks")
    rows = MessageRow.__table__
    with log.engine.connect() as connection:
        logged = connection.execute(
            select(rows.c.channel, rows.c.text, rows.c.feedback)
            .where(rows.c.user_id == user, rows.c.ts > TIP_AT)
            .order_by(rows.c.id)
        ).all()
    # What it showed, the button the person pressed, the feedback it gave, the thanks.
    assert logged == [
        ("webchat", shown.text, None),
        ("webchat", answer, None),
        ("webchat", None, "helpful"),
        ("webchat", _say("it", "followup_thanks"), None),
    ]


def test_nothing_for_who_did_not_agree_or_said_stop_and_another_person_sees_only_their_own(log):
    clock = [MONDAY]
    page = _page(log, clock)
    log.add([tip_row(_user("never-asked"), TIP_AT, "objection_no_time")])
    _agree_and_get_a_tip(page, log, "stopped")
    _agree_and_get_a_tip(page, log, "agreed")
    clock[0] = TIP_AT + dt.timedelta(hours=1)
    for account in ("never-asked", "stopped", "agreed"):
        page.due(account)  # each opens the page once: planned
    assert page.handle("stopped", "stop", "it")[0].text == _say("it", "followup_off")
    clock[0] = THURSDAY_TEN
    assert page.due("never-asked") == [] and page.due("stopped") == []
    assert FollowupStore(log.engine).messages(_user("stopped")) == []  # "stop" cancelled what was planned
    assert len(page.due("agreed")) == 1


def test_two_tabs_on_two_replicas_opening_at_once_show_each_message_once(log, database_url):
    clock = [MONDAY]
    _agree_and_get_a_tip(_page(log, clock), log, "web-2")
    clock[0] = THURSDAY_TEN
    replicas = [LogStore(database_url) for _ in range(2)]  # each with its own engine, as two processes
    pages = [_page(replica, clock) for replica in replicas for _ in range(2)]
    together = threading.Barrier(len(pages))

    def open_page(page: PageFollowups) -> int:
        together.wait()
        return len(page.due("web-2"))

    try:
        with ThreadPoolExecutor(len(pages)) as pool:
            assert sum(pool.map(open_page, pages)) == 1
    finally:
        for replica in replicas:
            replica.close()


def test_the_worker_leaves_the_web_chats_messages_to_the_page_which_shows_them_at_any_hour(log):
    clock, outbox = [MONDAY], []
    page = _page(log, clock)
    user = _agree_and_get_a_tip(page, log, "web-3")
    worker = build(log, KEY, lambda: KB, ROME, {"telegram": RecordingSender("a", clock, outbox)})
    for day in range(5):  # every working hour of the week: nothing to push, nothing failed
        for hour in range(9, 18):
            clock[0] = MONDAY + dt.timedelta(days=day, hours=hour - 8)
            assert worker.run_once(clock[0]) == 0
    assert outbox == []
    assert sorted((m.kind, m.state) for m in FollowupStore(log.engine).messages(user)) == [
        (PULSE, DUE),
        (TIP_CHECK, DUE),
    ]
    clock[0] = ROME.pulse_time(MONDAY.date()) + dt.timedelta(days=1)  # Saturday: they came to look
    assert [reply.text.startswith(_say("it", "followup_pulse")) for reply in page.due("web-3")] == [False, True]
