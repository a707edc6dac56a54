"""The dashboard's figures on hand-made logs, SQLite and PostgreSQL: weeks, suppression, shares, rises."""

import datetime as dt

from bot.adoption_log.store import LogStore
from bot.dashboard import queries
from bot.dashboard.queries import Filters
from tests.unit.adoption_log.test_store import record

PERIOD = Filters(dt.date(2026, 11, 2), dt.date(2026, 11, 29))


def _store(database_url, records):
    store = LogStore(database_url)
    store.migrate()
    store.add(records)
    return store


def _said(people, intent="objection_no_time", day=dt.datetime(2026, 11, 4, 10), **fields):
    return [record(user=f"p-{n}", ts=day, intent=intent, **fields) for n in range(people)]


def test_an_aggregate_of_four_people_is_hidden_and_of_five_is_shown(database_url):
    store = _store(database_url, _said(4, intent="objection_no_time") + _said(5, intent="objection_no_training"))
    by_intent = {row["intent"]: row["count"] for row in queries.counts_by(store.engine, PERIOD, "intent")}
    assert by_intent == {"objection_no_time": None, "objection_no_training": 5}
    store.close()


def test_beside_a_hidden_team_the_smallest_shown_one_is_hidden_too(database_url):
    """Else the total minus the teams shown would be the hidden team (test_suppression.py has the attacks)."""
    store = _store(database_url, _said(4, team="small") + _said(5, team="mid") + _said(6, team="large"))
    assert queries.totals(store.engine, Filters(**{**PERIOD.__dict__, "team": "small"})) == {
        "messages": None,
        "people": None,
    }
    assert queries.totals(store.engine, Filters(**{**PERIOD.__dict__, "team": "large"})) == {"messages": 6, "people": 6}
    by_team = {row["team"]: row["count"] for row in queries.counts_by(store.engine, PERIOD, "team")}
    assert by_team == {"small": None, "mid": None, "large": 6}
    store.close()


def test_one_person_writing_often_is_still_one_person(database_url):
    chatty = [record(user="p-1", ts=dt.datetime(2026, 11, 4, h), intent="objection_no_time") for h in range(8, 20)]
    store = _store(database_url, chatty)
    assert queries.weekly_by_intent(store.engine, PERIOD) == [
        {"week": "2026-11-02", "intent": "objection_no_time", "count": None}
    ]
    store.close()


def test_weeks_start_on_monday(database_url):
    sunday, monday = dt.datetime(2026, 11, 8, 23), dt.datetime(2026, 11, 9, 1)
    store = _store(database_url, _said(5, day=sunday) + _said(6, day=monday))
    weeks = [(row["week"], row["count"]) for row in queries.weekly_by_intent(store.engine, PERIOD)]
    assert weeks == [("2026-11-02", 5), ("2026-11-09", 6)]
    store.close()


def test_sentiment_is_a_group_average_and_label_shares(database_url):
    rows = _said(3, sentiment_label="negative", sentiment_score=-0.8) + [
        record(
            user=f"q-{n}", ts=dt.datetime(2026, 11, 5), intent="thanks", sentiment_label="positive", sentiment_score=0.6
        )
        for n in range(2)
    ]
    store = _store(database_url, rows)
    [week] = queries.weekly_sentiment(store.engine, PERIOD)
    assert week == {"week": "2026-11-02", "average": -0.24, "negative": 0.6, "neutral": 0.0, "positive": 0.4}
    store.close()


def test_the_fastest_rising_objections_compare_the_two_halves(database_url):
    early, late = dt.datetime(2026, 11, 3), dt.datetime(2026, 11, 25)
    rows = (
        _said(5, "objection_no_time", early)
        + _said(6, "objection_no_time", late)
        + _said(9, "objection_fear_of_control", late)
        + _said(8, "objection_no_training", early)
        + _said(2, "objection_just_a_fad", late)
    )
    store = _store(database_url, rows)
    assert queries.rising(store.engine, PERIOD) == [
        {"intent": "objection_fear_of_control", "before": 0, "after": 9, "rise": 9},
        {"intent": "objection_no_time", "before": 5, "after": 6, "rise": 1},
    ]
    store.close()


def test_answers_count_given_and_the_share_that_helped(database_url):
    replies = [record(user=f"p-{n}", direction="bot", kb_entry="objection_no_time") for n in range(6)]
    feedback = [
        record(
            user=f"p-{n}", direction="bot", kb_entry="objection_no_time", feedback="helpful" if n < 3 else "not_helpful"
        )
        for n in range(5)
    ]
    store = _store(database_url, replies + feedback)
    assert queries.answers(store.engine, PERIOD) == [
        {"kb_entry": "objection_no_time", "given": 6, "rated": 5, "helped_share": 0.6, "not_helped_share": 0.4}
    ]
    store.close()


def test_ratings_of_fewer_than_5_people_are_hidden_where_the_answer_is_shown(database_url):
    replies = [record(user=f"p-{n}", direction="bot", kb_entry="objection_no_time") for n in range(6)]
    feedback = [
        record(user=f"p-{n}", direction="bot", kb_entry="objection_no_time", feedback="helpful") for n in range(4)
    ]
    store = _store(database_url, replies + feedback)
    assert queries.answers(store.engine, PERIOD) == [
        {"kb_entry": "objection_no_time", "given": 6, "rated": None, "helped_share": None, "not_helped_share": None}
    ]
    store.close()


def test_conversations_are_found_by_a_word_a_salesperson_wrote(database_url):
    rows = [
        record(user="p-1", text="come esporto in Excel?", intent="nlu_fallback"),
        record(user="p-2", text="non ho tempo"),
    ]
    store = _store(database_url, rows)
    assert [c["user"] for c in queries.conversations(store.engine, PERIOD, search="excel")] == ["p-1"]
    assert {c["user"] for c in queries.conversations(store.engine, PERIOD)} == {"p-1", "p-2"}
    store.close()
