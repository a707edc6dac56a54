"""The digest's figures are the dashboard's for the same weeks, small groups hidden the same
way, and a week of fewer than 5 people gets no digest (SQLite and PostgreSQL)."""

import datetime as dt

import pytest

from bot.adoption_log.store import LogStore
from bot.dashboard import queries
from bot.dashboard.tables import TABLES
from bot.digest import figures
from bot.digest.figures import DigestError, TooFewPeopleError, Week
from tests.unit.adoption_log.test_store import record
from tests.unit.digest.conftest import WEEK


def _dashboard(name, engine, filters):
    """A table exactly as the dashboard's page and CSV get it."""
    return TABLES[name].rows(engine, filters, {})


@pytest.mark.parametrize("team", [None, "Nord", "Iberia"])
def test_every_figure_is_the_dashboards_for_the_same_weeks(demo_engine, team):
    found = figures.collect(demo_engine, WEEK, team)
    this_week = figures.week_filters(WEEK, team)
    assert (this_week.start, this_week.end, this_week.team) == (dt.date(2026, 11, 9), dt.date(2026, 11, 15), team)
    assert queries.totals(demo_engine, this_week) == {"messages": found.messages, "people": found.people}

    dashboard_now = _dashboard("objections", demo_engine, this_week)
    dashboard_before = {
        r["intent"]: r["count"]
        for r in _dashboard("objections", demo_engine, figures.week_filters(WEEK.before(), team))
    }
    shown = [r for r in dashboard_now if r["count"] is not None]
    assert [(o.intent, o.count) for o in found.objections] == [
        (r["intent"], r["count"]) for r in shown[: figures.TOP_OBJECTIONS]
    ]
    assert [o.previous for o in found.objections] == [dashboard_before.get(o.intent, 0) for o in found.objections]
    assert found.hidden_objections == len(dashboard_now) - len(shown)

    trend = queries.Filters.whole_weeks(dt.date(2026, 9, 21), dt.date(2026, 11, 15), **({"team": team} if team else {}))
    assert found.mood == _dashboard("sentiment_weekly", demo_engine, trend)
    assert len(found.mood) == figures.TREND_WEEKS
    rising = _dashboard("rising", demo_engine, trend)
    assert found.rising == (rising[0] if rising else None)

    answers = _dashboard("answers", demo_engine, this_week)
    assert all(row in answers for row in found.not_helpful)
    assert [r["kb_entry"] for r in found.not_helpful] == [
        r["kb_entry"]
        for r in sorted(answers, key=lambda r: (-figures.not_helped(r), r["kb_entry"]))
        if figures.not_helped(r) > 0
    ][: figures.TOP_NOT_HELPFUL]


def test_the_company_digest_on_demo_data_has_something_in_each_section(demo_engine):
    found = figures.collect(demo_engine, WEEK)
    assert found.people >= 5 and found.objections and found.rising is not None
    assert all(o.count >= 1 for o in found.objections)
    assert found.rising["after"] > found.rising["before"]


def _store(database_url, rows):
    store = LogStore(database_url)
    store.migrate()
    store.add(rows)
    return store


def _said(people, team, intent="objection_no_time", prefix="p", day=dt.datetime(2026, 11, 11, 10)):
    return [record(user=f"{prefix}-{team}-{n}", ts=day, team=team, intent=intent) for n in range(people)]


def test_a_team_of_fewer_than_5_people_that_week_gets_no_digest(database_url):
    store = _store(database_url, _said(4, "small") + _said(6, "mid") + _said(7, "large"))
    with pytest.raises(TooFewPeopleError, match="team small rests on fewer than 5 people"):
        figures.collect(store.engine, WEEK, "small")
    with pytest.raises(TooFewPeopleError):  # the smallest shown beside a hidden one: the dashboard hides it too
        figures.collect(store.engine, WEEK, "mid")
    assert figures.collect(store.engine, WEEK, "large").people == 7
    with pytest.raises(TooFewPeopleError):  # the week before: nobody at all
        figures.collect(store.engine, WEEK.before())
    store.close()


def test_a_team_is_refused_when_everyone_else_is_fewer_than_5(database_url):
    """Its figures minus the company's would show the others: the dashboard hides it, so no digest."""
    store = _store(database_url, _said(3, "others") + _said(8, "big"))
    with pytest.raises(TooFewPeopleError):
        figures.collect(store.engine, WEEK, "big")
    store.close()


def test_hidden_objections_stay_hidden_and_are_only_counted(database_url):
    rows = _said(6, "a", "objection_no_time") + _said(4, "a", "objection_fear_of_control", prefix="q")
    store = _store(database_url, rows)
    found = figures.collect(store.engine, WEEK)
    assert [(o.intent, o.count, o.previous, o.change) for o in found.objections] == [("objection_no_time", 6, 0, 6)]
    assert found.hidden_objections == 1
    store.close()


def test_an_unknown_team_is_a_clear_error(database_url):
    store = _store(database_url, _said(6, "a"))
    with pytest.raises(DigestError, match="no team 'nobody'"):
        figures.collect(store.engine, WEEK, "nobody")
    store.close()


@pytest.mark.parametrize("text", ["2026-46", "2026-W5", "W46", "2026-W46x", "2026-W00", "2026-W54", "", "x" * 10_000])
def test_a_bad_week_is_a_clear_error(text):
    with pytest.raises(DigestError):
        Week.parse(text)


def test_weeks_are_iso_weeks():
    assert Week.parse("2026-W46").monday == dt.date(2026, 11, 9) and str(Week.parse(" 2026-W01 ")) == "2026-W01"
    assert Week.parse("2020-W53").sunday == dt.date(2021, 1, 3)
    assert Week.last_complete(dt.date(2026, 11, 16)) == Week.parse("2026-W46")  # on a Monday: the week before
    assert Week.last_complete(dt.date(2026, 11, 22)) == Week.parse("2026-W46")  # on a Sunday: still the week before
