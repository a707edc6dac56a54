"""A hidden figure stays hidden under subtraction: each attack below isolated one person (or a
group under 5) by subtracting two figures that were each shown; now one of them is hidden,
or both are the same. An office of six: five on Slack, one alone on Telegram."""

import datetime as dt
import itertools
import random

import pytest

from bot.adoption_log.store import LogStore
from bot.dashboard import queries
from bot.dashboard.queries import Filters
from tests.unit.adoption_log.test_store import record
from tests.unit.dashboard.conftest import Browser, own_app

TUESDAY, SUNDAY = dt.datetime(2026, 11, 3, 10), dt.datetime(2026, 11, 8, 18)
WEEK = Filters(dt.date(2026, 11, 2), dt.date(2026, 11, 8))
FOUR_WEEKS = Filters(dt.date(2026, 11, 2), dt.date(2026, 11, 29))
OFFICE = [
    record(user=f"p-{n}", ts=TUESDAY, team="North", channel="slack", intent="objection_no_time") for n in range(5)
]
ALONE_ON_TELEGRAM = [record(user="p-5", ts=SUNDAY, team="North", channel="telegram", intent="objection_no_time")]


def _store(database_url, records):
    store = LogStore(database_url)
    store.migrate()
    store.add(records)
    return store


@pytest.fixture
def office(database_url):
    store = _store(database_url, OFFICE + ALONE_ON_TELEGRAM)
    yield store.engine
    store.close()


def test_a_team_and_a_channel_together_are_refused(office):
    """team=North minus team=North&channel=telegram was the Telegram person."""
    with pytest.raises(ValueError, match="one of team, channel and language at a time"):
        Filters(WEEK.start, WEEK.end, team="North", channel="telegram")


def test_the_total_minus_the_big_channel_no_longer_gives_the_small_one(office):
    assert queries.totals(office, WEEK)["messages"] == 6
    assert queries.totals(office, Filters(WEEK.start, WEEK.end, channel="telegram"))["messages"] is None
    assert queries.totals(office, Filters(WEEK.start, WEEK.end, channel="slack"))["messages"] is None
    assert {row["channel"]: row["count"] for row in queries.counts_by(office, WEEK, "channel")} == {
        "slack": None,
        "telegram": None,
    }


def test_two_periods_a_day_apart_are_the_same_whole_week(office):
    """Monday to Saturday against Monday to Sunday was the Sunday: the Telegram person."""
    saturday = Filters.whole_weeks(dt.date(2026, 11, 2), dt.date(2026, 11, 7))
    sunday = Filters.whole_weeks(dt.date(2026, 11, 2), dt.date(2026, 11, 8))
    assert saturday == sunday == WEEK
    assert queries.totals(office, saturday) == queries.totals(office, sunday) == {"messages": 6, "people": 6}


def test_a_team_is_hidden_when_everyone_else_is_fewer_than_five(database_url):
    """Everyone minus team North was the two people of team Solo."""
    solo = [record(user=f"s-{n}", ts=TUESDAY, team="Solo", channel="slack", intent="thanks") for n in range(2)]
    store = _store(database_url, OFFICE + ALONE_ON_TELEGRAM + solo)
    assert queries.totals(store.engine, WEEK) == {"messages": 8, "people": 8}
    assert queries.totals(store.engine, Filters(WEEK.start, WEEK.end, team="North")) == {
        "messages": None,
        "people": None,
    }
    store.close()


def test_teams_shown_never_add_up_to_the_total_but_for_a_small_one(database_url):
    """Everyone minus the teams shown was the small team, each team filtered in turn."""
    teams = {"Small": 3, "Mid": 5, "Large": 7}
    rows = [
        record(user=f"{team}-{n}", ts=TUESDAY, team=team, intent="objection_no_time")
        for team, size in teams.items()
        for n in range(size)
    ]
    store = _store(database_url, rows)
    shown = {team: queries.totals(store.engine, Filters(WEEK.start, WEEK.end, team=team))["messages"] for team in teams}
    assert shown == {"Small": None, "Mid": None, "Large": 7}
    store.close()


def test_a_hidden_earlier_half_is_not_given_away_by_the_rise(database_url):
    """The later half minus the rise was the earlier half's three people."""
    early = [record(user=f"e-{n}", ts=TUESDAY, intent="objection_no_time") for n in range(3)]
    late = [record(user=f"l-{n}", ts=dt.datetime(2026, 11, 24), intent="objection_no_time") for n in range(6)]
    store = _store(database_url, early + late)
    assert queries.rising(store.engine, FOUR_WEEKS) == []
    store.close()


def test_a_hidden_week_is_not_the_period_minus_the_weeks_shown(database_url):
    """An objection's period total minus its weeks shown was the week of one person."""
    alone = [record(user="p-9", ts=dt.datetime(2026, 11, 10), team="North", intent="objection_no_time")]
    third_week = [record(user=f"t-{n}", ts=dt.datetime(2026, 11, 17), intent="objection_no_time") for n in range(6)]
    store = _store(database_url, OFFICE + ALONE_ON_TELEGRAM + alone + third_week)
    three_weeks = Filters(dt.date(2026, 11, 2), dt.date(2026, 11, 22))
    assert queries.counts_by(store.engine, three_weeks, "intent") == [{"intent": "objection_no_time", "count": 13}]
    assert [row["count"] for row in queries.weekly_by_intent(store.engine, three_weeks)] == [None, None, 6]
    store.close()


def test_a_period_that_ends_on_a_week_of_one_person_is_hidden_and_the_nearest_offered(database_url):
    """Weeks 1-2 minus week 1 was the one person of week 2."""
    alone = [record(user="p-9", ts=dt.datetime(2026, 11, 10), team="North", intent="objection_no_time")]
    store = _store(database_url, OFFICE + ALONE_ON_TELEGRAM + alone)
    two_weeks = Filters(dt.date(2026, 11, 2), dt.date(2026, 11, 15))
    assert queries.totals(store.engine, two_weeks) == {"messages": None, "people": None}
    assert queries.counts_by(store.engine, two_weeks, "intent") == [{"intent": "objection_no_time", "count": None}]
    check = queries.check_period(store.engine, two_weeks)
    assert (check.shown, check.small_first_week, check.small_last_week) == (False, False, True)
    assert check.nearest == WEEK and queries.totals(store.engine, WEEK) == {"messages": 6, "people": 6}
    # On the Monday after, the default period ends with the last week that 5 people wrote in.
    assert queries.default_period(store.engine, today=dt.date(2026, 11, 16)) == WEEK
    store.close()


@pytest.fixture
def office_dashboard(tmp_path):
    app = own_app(tmp_path)
    app.extensions["coach"]["store"].add(OFFICE + ALONE_ON_TELEGRAM)
    yield Browser(app).login("luca")
    app.extensions["coach"]["store"].close()


def test_the_pages_take_one_dimension_and_say_so(office_dashboard):
    both = office_dashboard.get("/?start=2026-11-02&end=2026-11-08&team=North&channel=telegram").text
    assert "One of team, channel and language at a time" in both and "Showing team North only" in both
    assert '<span class="figure" id="total-messages">6</span>' in both


def test_the_pages_show_whole_weeks(office_dashboard):
    page = office_dashboard.get("/?start=2026-11-04&end=2026-11-07").text
    assert 'name="start" value="2026-11-02"' in page and 'name="end" value="2026-11-08"' in page
    assert '<span class="figure" id="total-messages">6</span>' in page


def test_no_breakdown_by_channel_within_a_team(office_dashboard):
    csv = office_dashboard.get("/csv/objection_by_channel.csv?team=North&objection=objection_no_time").text
    assert csv.strip() == "channel,count"
    page = office_dashboard.get("/objections?start=2026-11-02&team=North&objection=objection_no_time").text
    assert "shown without a team, channel or language filter" in page


# --- Periods that differ by whole weeks -------------------------------------------------------
# Every figure over a period waits for its first and last week with data (bot/dashboard/queries.py):
# the exhaustive check below takes every pair of periods of an 8-week log whose weeks rest on 0 to
# 9 people, and every figure the dashboard shows over them, under each kind of filter.

FIRST_MONDAY = dt.date(2026, 9, 7)
WRITERS_PER_WEEK = [6, 3, 9, 1, 7, 0, 2, 8]
PEOPLE = [
    {"user": f"q-{n}", "team": ("North", "South")[n % 2], "channel": ("slack", "telegram")[n % 3 == 0],
     "language": ("it", "es")[n % 4 == 0]}
    for n in range(14)
]  # fmt: skip
INTENTS = ["objection_no_time", "objection_privacy", "thanks"]
FILTERS = [{}, {"team": "North"}, {"channel": "slack"}, {"language": "it"}]


def _synthetic_log(seed: int = 15) -> list[dict]:
    """What each message was, to compute what every figure rests on: a salesperson's message and,
    for an objection, the coach's answer and sometimes a rating."""
    rng = random.Random(seed)
    log = []
    for week, writers in enumerate(WRITERS_PER_WEEK):
        for person in rng.sample(PEOPLE, writers):
            for _ in range(rng.randint(1, 2)):
                ts = dt.datetime.combine(FIRST_MONDAY + dt.timedelta(weeks=week, days=rng.randint(0, 6)), dt.time(10))
                intent = rng.choice(INTENTS)
                label = rng.choice(["negative", "neutral", "positive"])
                log.append({**person, "week": week, "ts": ts, "direction": "user", "intent": intent,
                            "sentiment_label": label, "sentiment_score": {"negative": -0.5, "neutral": 0.0, "positive": 0.5}[label]})  # fmt: skip
                if intent.startswith("objection_"):
                    log.append({**person, "week": week, "ts": ts, "direction": "bot", "kb_entry": intent})
                    if rng.random() < 0.5:
                        feedback = rng.choice(["helpful", "not_helpful"])
                        log.append({**person, "week": week, "ts": ts, "direction": "bot", "kb_entry": intent, "feedback": feedback})  # fmt: skip
    return log


def _as_records(log: list[dict]) -> list:
    fields = ("team", "channel", "language", "intent", "sentiment_label", "sentiment_score", "kb_entry", "feedback")
    return [
        record(user=m["user"], ts=m["ts"], direction=m["direction"], **{f: m[f] for f in fields if f in m}) for m in log
    ]


def _weeks_of(filters: Filters) -> frozenset[int]:
    return frozenset(range((filters.start - FIRST_MONDAY).days // 7, (filters.end - FIRST_MONDAY).days // 7 + 1))


def _week_index(week) -> int:
    return (dt.date.fromisoformat(str(week)) - FIRST_MONDAY).days // 7


def _shown_figures(engine, filters: Filters) -> list[tuple[tuple, frozenset[int], object]]:
    """Every figure the pages show over `filters` (hidden ones left out) as (what it counts, its
    weeks, its value); what it counts is a key of `_matches`, with the filter."""
    dimension = filters.dimension() or ()
    weeks = _weeks_of(filters)
    figures = []

    def add(what, over, value):
        if value is not None:
            figures.append(((*what, *dimension), over, value))

    totals = queries.totals(engine, filters)
    add(("messages",), weeks, totals["messages"])
    add(("people",), weeks, totals["people"])
    for row in queries.counts_by(engine, filters, "intent", [queries.is_objection()]):
        add(("intent", row["intent"]), weeks, row["count"])
    for name in queries.DIMENSIONS:
        for row in queries.counts_by(engine, filters, name):
            add((name, row[name]), weeks, row["count"])
    for row in queries.answers(engine, filters):
        add(("answer", row["kb_entry"]), weeks, row["given"])
    for row in queries.weekly_by_intent(engine, filters):
        add(("intent", row["intent"]), frozenset({_week_index(row["week"])}), row["count"])
    for row in queries.weekly_sentiment(engine, filters):
        add(("sentiment",), frozenset({_week_index(row["week"])}), row["negative"])
    first, second = filters.halves()
    for row in queries.rising(engine, filters):
        add(("intent", row["intent"]), _weeks_of(first), row["before"])
        add(("intent", row["intent"]), _weeks_of(second), row["after"])
    return figures


def _matches(message: dict, what: tuple) -> bool:
    kind, *rest = what
    if kind in ("messages", "people", "sentiment", "intent", *queries.DIMENSIONS):
        if message["direction"] != "user":
            return False
    elif message["direction"] != "bot" or message.get("kb_entry") != rest[0]:
        return False
    if kind == "intent" and message["intent"] != rest[0]:
        return False
    if kind in queries.DIMENSIONS and message[kind] != rest[0]:
        return False
    filtered = rest[1:] if kind in ("intent", "answer", *queries.DIMENSIONS) else rest
    return all(message[name] == value for name, value in zip(filtered[::2], filtered[1::2], strict=True))


def _people_in(log: list[dict], what: tuple, weeks: frozenset[int]) -> int:
    return len({m["user"] for m in log if m["week"] in weeks and _matches(m, what)})


@pytest.fixture
def eight_weeks(database_url):
    log = _synthetic_log()
    store = _store(database_url, _as_records(log))
    yield store.engine, log
    store.close()


def test_no_two_periods_differ_by_fewer_than_five_people(eight_weeks):
    engine, log = eight_weeks
    shown: dict[tuple, set[frozenset[int]]] = {}
    for first, last in itertools.combinations_with_replacement(range(len(WRITERS_PER_WEEK)), 2):
        start, end = FIRST_MONDAY + dt.timedelta(weeks=first), FIRST_MONDAY + dt.timedelta(weeks=last, days=6)
        for dimension in FILTERS:
            for what, weeks, value in _shown_figures(engine, Filters(start, end, **dimension)):
                people = _people_in(log, what, weeks)
                assert people >= queries.MIN_PEOPLE or people == value == 0, (what, sorted(weeks), value)
                shown.setdefault(what, set()).add(weeks)
    pairs = 0
    for what, periods in shown.items():
        for one, other in itertools.combinations(periods, 2):
            pairs += 1
            for difference in (one - other, other - one):
                people = _people_in(log, what, difference)
                assert people == 0 or people >= queries.MIN_PEOPLE, (what, sorted(one), sorted(other), people)
    assert pairs > 100, "the check compared enough figures to mean something"


def test_the_synthetic_log_would_give_people_away_without_the_edge_weeks(eight_weeks):
    """Without the rule, weeks 1-4 minus weeks 1-3 (5 or more people each) is 1 person."""
    _, log = eight_weeks
    four, three = frozenset(range(4)), frozenset(range(3))
    assert min(_people_in(log, ("messages",), period) for period in (four, three)) >= queries.MIN_PEOPLE
    assert _people_in(log, ("messages",), four - three) == 1


def test_figures_shown_over_a_period_are_the_true_ones(eight_weeks):
    engine, log = eight_weeks
    weeks = Filters(FIRST_MONDAY, FIRST_MONDAY + dt.timedelta(weeks=4, days=6))
    messages = sum(1 for m in log if m["week"] <= 4 and m["direction"] == "user")
    assert queries.totals(engine, weeks) == {
        "messages": messages,
        "people": _people_in(log, ("people",), _weeks_of(weeks)),
    }
    ends_on_one_person = Filters(FIRST_MONDAY, FIRST_MONDAY + dt.timedelta(weeks=3, days=6))
    assert queries.totals(engine, ends_on_one_person) == {"messages": None, "people": None}


@pytest.fixture
def monday_dashboard(tmp_path):
    """Five people wrote last week, one this week so far."""
    this_monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    last_week = dt.datetime.combine(this_monday - dt.timedelta(days=5), dt.time(10))
    app = own_app(tmp_path)
    app.extensions["coach"]["store"].add(
        [record(user=f"p-{n}", ts=last_week, intent="objection_no_time") for n in range(5)]
        + [record(user="p-early", ts=dt.datetime.combine(this_monday, dt.time(0, 30)), intent="objection_no_time")]
    )
    yield Browser(app).login("luca"), this_monday
    app.extensions["coach"]["store"].close()


def test_the_default_period_ends_with_the_last_week_of_five_people_and_says_so(monday_dashboard):
    browser, this_monday = monday_dashboard
    page = browser.get("/").text
    last_week = this_monday - dt.timedelta(weeks=1)
    assert f"Up to week {last_week.isocalendar()[1]}:" in page and 'id="period-notice"' not in page
    assert '<span class="figure" id="total-messages">5</span>' in page
    assert f'name="end" value="{last_week + dt.timedelta(days=6)}"' in page


def test_a_period_ending_on_a_small_week_says_so_and_links_to_the_nearest(monday_dashboard):
    browser, this_monday = monday_dashboard
    last_week = this_monday - dt.timedelta(weeks=1)
    for path in ("/", "/objections", "/answers"):
        page = browser.get(f"{path}?start={last_week}&end={this_monday}&channel=").text
        assert "This period ends on a week with fewer than 5 people." in page
        nearest = f"start={last_week}&amp;end={last_week + dt.timedelta(days=6)}"
        assert f'<a href="{path}?' in page and nearest in page.split('id="period-notice"')[1]
    overview = browser.get(f"/?start={last_week}&end={this_monday}").text
    assert '<span class="figure" id="total-messages"><span class="hidden-figure">' in overview
