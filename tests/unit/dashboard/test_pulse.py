"""The weekly pulse per team on the overview: averages per ISO week, a team under 5 people hidden
and, with it, the smallest team shown (so no hidden average comes back from the others), a team
filter under the same rule, nothing under a channel or language filter; and the partial
template that shows it (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import render_template

from bot.dashboard import pulse
from bot.dashboard.queries import Filters
from bot.followups.store import FollowupStore

WEEK1 = dt.date(2026, 11, 30)  # Mondays
WEEK2, WEEK3, LATER = WEEK1 + dt.timedelta(weeks=1), WEEK1 + dt.timedelta(weeks=2), WEEK1 + dt.timedelta(weeks=9)
PERIOD = Filters.whole_weeks(WEEK1, WEEK3 + dt.timedelta(days=6))


@pytest.fixture
def engine(migrated_log):
    return migrated_log.engine


def _scores(engine, week: dt.date, team: str | None, scores: list[int]) -> None:
    followups = FollowupStore(engine)
    for n, score in enumerate(scores):
        followups.add_pulse(f"p-{team}-{n:020d}", team, week, score, dt.datetime.combine(week, dt.time(14)))


def _fill(engine) -> None:
    _scores(engine, WEEK1, "north", [4, 4, 5, 3, 4, 4])  # 6 people: 4.0
    _scores(engine, WEEK1, "south", [2, 3, 3, 2, 5])  # 5 people: 3.0
    _scores(engine, WEEK2, "north", [5, 5, 5, 5, 4, 4])
    _scores(engine, WEEK2, "south", [1, 1, 2])  # 3 people: hidden, and north with it
    _scores(engine, WEEK3, "north", [3, 3, 3, 3, 3, 3, 3])
    _scores(engine, WEEK3, "south", [4, 4, 4, 4, 4])
    _scores(engine, WEEK3, None, [1, 1])  # people without a team are a part too
    _scores(engine, LATER, "north", [5, 5, 5, 5, 5])  # outside the period


def _cells(rows) -> dict[tuple[str, str | None], tuple[float | None, int | None]]:
    return {(row["week"], row["team"]): (row["average"], row["people"]) for row in rows}


def test_each_teams_weekly_average_with_small_groups_hidden_and_not_recoverable(engine):
    _fill(engine)
    assert _cells(pulse.weekly(engine, PERIOD)) == {
        (str(WEEK1), "north"): (4.0, 6),
        (str(WEEK1), "south"): (3.0, 5),
        (str(WEEK2), "north"): (None, None),  # the rest of the week would be south's 3 people
        (str(WEEK2), "south"): (None, None),
        (str(WEEK3), None): (None, None),
        (str(WEEK3), "north"): (3.0, 7),
        (str(WEEK3), "south"): (None, None),  # the smallest shown, hidden beside the 2 without a team
    }


def test_a_team_filter_follows_the_same_rule_and_other_filters_show_nothing(engine):
    _fill(engine)
    north = Filters.whole_weeks(WEEK1, LATER, team="north")
    assert _cells(pulse.weekly(engine, north)) == {
        (str(WEEK1), "north"): (4.0, 6),
        (str(WEEK2), "north"): (None, None),
        (str(WEEK3), "north"): (3.0, 7),
        (str(LATER), "north"): (5.0, 5),
    }
    assert pulse.weekly(engine, Filters.whole_weeks(WEEK1, WEEK3, language="it")) == []
    assert pulse.weekly(engine, Filters.whole_weeks(WEEK1, WEEK3, channel="slack")) == []
    assert pulse.weekly(engine, Filters.whole_weeks(LATER + dt.timedelta(weeks=1), LATER + dt.timedelta(weeks=2))) == []


def test_the_partial_charts_the_rows_and_says_fewer_than_5_people(fresh_app):
    rows = [
        {"week": str(WEEK1), "team": "north", "average": 4.0, "people": 6},
        {"week": str(WEEK1), "team": None, "average": None, "people": None},
    ]
    with fresh_app.test_request_context("/"):
        html = render_template("_pulse.html", pulse_weekly=rows, filters=PERIOD, query={})
        by_language = render_template(
            "_pulse.html", pulse_weekly=[], filters=Filters.whole_weeks(WEEK1, WEEK3, language="es"), query={}
        )
    assert 'data-chart="pulse_weekly"' in html and 'data-kind="pulse"' in html
    assert '"team": "north", "average": 4.0' in html  # the chart's data
    assert "<td>north</td><td>4</td><td>6</td>" in html
    assert '<td>no team</td><td><span class="hidden-figure">fewer than 5 people</span>' in html
    assert "choose no filter or a team" in by_language and "pulse-table" not in by_language
