"""A hidden figure stays hidden under subtraction: each attack below isolated one person (or a
group under 5) by subtracting two figures that were each shown; now one of them is hidden,
or both are the same. An office of six: five on Slack, one alone on Telegram."""

import datetime as dt

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
    later = [record(user="p-9", ts=dt.datetime(2026, 11, 10), team="North", intent="objection_no_time")]
    store = _store(database_url, OFFICE + ALONE_ON_TELEGRAM + later)
    two_weeks = Filters(dt.date(2026, 11, 2), dt.date(2026, 11, 15))
    assert queries.counts_by(store.engine, two_weeks, "intent") == [{"intent": "objection_no_time", "count": 7}]
    assert [row["count"] for row in queries.weekly_by_intent(store.engine, two_weeks)] == [None, None]
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
