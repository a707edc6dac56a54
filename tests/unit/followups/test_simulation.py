"""Issue 17's "done when": four simulated weeks for 30 salespeople, with a controlled clock and
two replicas (two planners and two dispatchers on one database, run at the same moment in two
threads), delivered through a recording sender. Exactly the expected messages go out, none
outside working hours, none twice, none to someone who declined or never answered; "stop"
works; a restart in the middle (new objects on the same database) loses nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from bot.followups.dispatcher import Dispatcher, composer
from bot.followups.logbook import Logbook
from bot.followups.planner import Planner
from bot.followups.store import PULSE, REFRESHER, TIP_CHECK, FollowupStore
from bot.followups.texts import FOLLOWUP, parse_answer
from bot.knowledge import base as knowledge
from tests.unit.followups.conftest import MONDAY, ROME, RecordingSender, row, tip_row

PEOPLE = [f"p-{n:024x}" for n in range(30)]
AGREE, DECLINE, SILENT = range(0, 20), range(20, 25), range(25, 30)
STOPPER, STOPPED_AT = 5, MONDAY + dt.timedelta(weeks=2, days=2, hours=4)  # Wednesday of week 3, 12:00 in Rome
RESTART_AT = MONDAY + dt.timedelta(weeks=2)  # Monday of week 3, 8:00 in Rome
WEEKS = 4
KB = knowledge.load()
OBJECTIONS = sorted(e for e in KB.entries if e.startswith("objection_"))


def _language(n: int) -> str:
    return "it" if n % 2 == 0 else "es"


def _team(n: int) -> str:
    return "north" if n < 15 else "south"


def _tip_week(n: int) -> int:
    return n % WEEKS


def _tip_entry(n: int) -> str:
    return OBJECTIONS[(n + 1) % len(OBJECTIONS)]


def _clock(keep: Callable[[dt.datetime], bool]) -> Iterator[dt.datetime]:
    """The simulated month, hour by hour, at the hours `keep` keeps."""
    for hour in range(WEEKS * 7 * 24):
        now = MONDAY + dt.timedelta(hours=hour)
        if keep(now):
            yield now


def _around_working_hours(now: dt.datetime) -> bool:
    """Every hour from 6:00 to 21:00 in Rome on weekdays, the working hours and the hours around
    them where a wrong hour or time zone would show; nights and weekends every third hour."""
    local = ROME.local(now)
    return (local.weekday() < 5 and 6 <= local.hour <= 21) or local.hour % 3 == 0


def _seed(log, followups: FollowupStore) -> None:
    """A week of conversations before, the answers to the offer, and each person's tip (in their week)."""
    before = MONDAY - dt.timedelta(days=7)
    rows = []
    for n, user in enumerate(PEOPLE):
        own, second = OBJECTIONS[n % len(OBJECTIONS)], OBJECTIONS[(n + 1) % len(OBJECTIONS)]
        for minute, intent in enumerate((own, own, second)):
            rows.append(row(user, before + dt.timedelta(minutes=minute), intent=intent, team=_team(n)))
        rows.append(row(user, before, "bot", language=_language(n), kb_entry=own))
        tip_at = MONDAY + dt.timedelta(weeks=_tip_week(n), hours=2)  # Monday, 10:00 in Rome
        rows.append(tip_row(user, tip_at, _tip_entry(n), _language(n)))
    log.add(rows)
    consent_at = MONDAY + dt.timedelta(hours=1, minutes=30)
    for n, user in enumerate(PEOPLE):
        followups.offer_once(user, "telegram", MONDAY)
        if n in AGREE or n in DECLINE:
            followups.decide(user, "telegram", str(1000 + n), _language(n), agree=n in AGREE, now=consent_at)


def _expected() -> Counter:
    """(address, kind, due moment in UTC): a tip check on the Thursday of the person's tip week at
    10:00 in Rome and the pulse every Friday at 15:00; a refresher on Tuesday at 10:00 in the
    other weeks (the week already holds the tip check and the pulse's place). The stopper gets
    nothing after Wednesday of week 3."""
    expected: Counter = Counter()
    for n in AGREE:
        for week in range(WEEKS):
            monday = MONDAY + dt.timedelta(weeks=week)
            if week == _tip_week(n):
                expected[(str(1000 + n), TIP_CHECK, monday + dt.timedelta(days=3, hours=2))] += 1
            else:
                expected[(str(1000 + n), REFRESHER, monday + dt.timedelta(days=1, hours=2))] += 1
            expected[(str(1000 + n), PULSE, monday + dt.timedelta(days=4, hours=7))] += 1
    return Counter({key: count for key, count in expected.items() if key[0] != "1005" or key[2] < STOPPED_AT})


class Replica:
    """One replica's worker: its own engine, planner and dispatcher (what a process has)."""

    def __init__(self, name: str, url: str, clock: list, outbox: list) -> None:
        from bot.adoption_log.store import LogStore

        self.log = LogStore(url)
        store = FollowupStore(self.log.engine)
        self.planner = Planner(store, ROME, lambda: KB.entries)
        sender = RecordingSender(name, clock, outbox)
        compose, logbook = composer(self.log.engine, lambda: KB), Logbook(self.log, b"k")
        self.dispatcher = Dispatcher(store, ROME, {"telegram": sender}, compose, name, logbook)

    def step(self, now: dt.datetime) -> None:
        self.planner.plan(now)
        self.dispatcher.tick(now)


def _kind(text: str) -> str:
    for kind, key in ((TIP_CHECK, "followup_tip_check"), (REFRESHER, "followup_refresher"), (PULSE, "followup_pulse")):
        if any(text.startswith(KB.conversation[lang].texts[key][0]) for lang in ("it", "es")):
            return kind
    raise AssertionError(f"not a follow-up: {text!r}")


def test_four_weeks_for_thirty_salespeople_send_exactly_the_expected_messages(log, database_url):
    followups = FollowupStore(log.engine)
    _seed(log, followups)
    clock, outbox = [MONDAY], []
    replicas = [Replica("a", database_url, clock, outbox), Replica("b", database_url, clock, outbox)]
    with ThreadPoolExecutor(2) as pool:
        for now in _clock(_around_working_hours):
            clock[0] = now
            if now == RESTART_AT:  # a restart in the middle: new processes on the same database
                for replica in replicas:
                    replica.log.close()
                replicas = [Replica("a2", database_url, clock, outbox), Replica("b2", database_url, clock, outbox)]
            if now == STOPPED_AT:
                followups.decide(PEOPLE[STOPPER], "telegram", None, "es", agree=False, now=now)
            list(pool.map(lambda replica: replica.step(now), replicas))  # noqa: B023 (run at once, here)
    for replica in replicas:
        replica.log.close()

    sent = Counter((address, _kind(message.text), at) for _, address, at, message in outbox)
    assert sent == _expected()
    assert len({replica for replica, *_ in outbox}) > 1  # both replicas took part
    # None twice: each planned message went out once, whichever replica sent it.
    ids = Counter(parse_answer(message.buttons[0][1])[0] for *_, message in outbox)
    assert ids and max(ids.values()) == 1
    # None outside working hours, never more than two in an ISO week.
    assert all(ROME.is_working_time(at) for _, _, at, _ in outbox)
    weekly = Counter((address, ROME.week_of(at)) for _, address, at, _ in outbox)
    assert max(weekly.values()) == 2
    # None to who declined or never answered.
    assert not {address for _, address, _, _ in outbox} & {str(1000 + n) for n in (*DECLINE, *SILENT)}


def test_the_messages_are_in_the_persons_language_and_bring_back_tips_they_had_not_had(log, database_url):
    followups = FollowupStore(log.engine)
    _seed(log, followups)
    clock, outbox = [MONDAY], []
    replica = Replica("a", database_url, clock, outbox)
    for now in _clock(ROME.is_working_time):  # what is said, not when: the working hours are enough
        clock[0] = now
        replica.step(now)
    replica.log.close()
    refreshers: dict[str, list[tuple[dt.datetime, str]]] = {}
    for _, address, at, message in outbox:
        n = int(address) - 1000
        lang = _language(n)
        assert message.text.startswith(KB.conversation[lang].texts[f"followup_{_kind(message.text)}"][0])
        assert message.buttons[-1] == (KB.conversation[lang].texts["followup_stop_button"][0], "/nudges off")
        assert all(payload.startswith((FOLLOWUP, "/nudges")) for _, payload in message.buttons)
        if _kind(message.text) == REFRESHER:
            entry = next(e for e in OBJECTIONS if KB.entries[e].answers[lang].tip in message.text)
            assert KB.cite(KB.entries[entry], lang) in message.text  # the tip with its source line
            refreshers.setdefault(address, []).append((at, entry))
    for address, sent in refreshers.items():
        n = int(address) - 1000
        entries = [entry for _, entry in sent]
        assert len(entries) == len(set(entries)) == WEEKS - 1  # never the same one twice
        tipped_at = MONDAY + dt.timedelta(weeks=_tip_week(n), hours=2)
        assert all(entry != _tip_entry(n) for at, entry in sent if at > tipped_at)  # nor a tip they were given
        assert entries[0] == OBJECTIONS[n % len(OBJECTIONS)]  # their own most raised objection first
