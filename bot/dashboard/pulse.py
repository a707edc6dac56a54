"""The weekly pulse on the overview: each team's average answer (1-5) to "How did the CRM go this
week?" per ISO week, from the follow-ups' pulse scores (bot/followups/store.py), beside the
mood per week.

The dashboard's small-group rule (bot/dashboard/queries.py) holds here too. One person answers
once a week, so a cell's answers are its people. Each week is a breakdown by team (the people
without a team are a part of it too): a team's average is shown only when it is not hidden by
`partition_hidden`, so a team under 5 people is hidden, and with it the smallest team shown, so
that no hidden average comes back from the others. With a team filter, the same rule decides
its weeks. Scores have no channel or language: under such a filter nothing is shown (the page
says why) rather than figures that ignore the filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.dashboard.queries import Filters, partition_hidden
from bot.followups.store import PULSES


def by_team_only(filters: Filters) -> bool:
    """Whether the pulse can follow the filters (none, or a team)."""
    return not (filters.channel or filters.language)


def weekly(engine: Engine, filters: Filters) -> list[dict[str, Any]]:
    """[{week (its Monday), team (None: no team), average (None if hidden), people (None if hidden)}]."""
    if not by_team_only(filters):
        return []
    query = (
        select(PULSES.c.week, PULSES.c.team, func.avg(PULSES.c.score), func.count())
        .where(PULSES.c.week >= filters.start, PULSES.c.week <= filters.end)
        .group_by(PULSES.c.week, PULSES.c.team)
    )
    with engine.connect() as connection:
        rows = list(connection.execute(query))
    weeks: dict[dt.date, dict[Hashable, int]] = {}
    for week, team, _, people in rows:
        weeks.setdefault(week, {})[team] = people
    hidden = {week: partition_hidden(teams) for week, teams in weeks.items()}
    result = []
    for week, team, average, people in sorted(rows, key=lambda row: (row[0], row[1] or "")):
        if filters.team is not None and team != filters.team:
            continue
        shown = team not in hidden[week]
        result.append(
            {
                "week": week.isoformat(),
                "team": team,
                "average": round(float(average), 2) if shown else None,
                "people": people if shown else None,
            }
        )
    return result
