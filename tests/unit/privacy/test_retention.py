"""The retention period on real databases (SQLite and PostgreSQL): old log rows and tracker
events go, and so do the Telegram memberships of people silent for that long; a period under
a day is refused, by the function and by `coach purge`."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import insert, select

from bot import cli, settings
from bot.adoption_log.store import LogRecord
from bot.channels.access import JoinAttemptRow, MemberRow, Members
from bot.privacy import retention

NOW = dt.datetime(2026, 11, 26, 12, 0)


def _message(user_id: str, ts: dt.datetime) -> LogRecord:
    return LogRecord(str(uuid.uuid4()), ts, user_id, "user", "telegram", text="non ho tempo")


@pytest.fixture
def store(migrated_log):
    return migrated_log


@pytest.fixture
def current(database_url, tmp_path):
    return settings.load({"DATABASE_URL": database_url, "COACH_VAR_DIR": str(tmp_path), "COACH_RETENTION_DAYS": "30"})


def test_memberships_of_people_silent_for_the_retention_period_are_purged(store, current):
    long_ago, yesterday = NOW - dt.timedelta(days=200), NOW - dt.timedelta(days=1)
    with store.engine.begin() as connection:
        connection.execute(
            insert(MemberRow),
            [
                {"user_id": "p-silent", "joined_at": long_ago},
                {"user_id": "p-still-writing", "joined_at": long_ago},
                {"user_id": "p-new", "joined_at": yesterday},
            ],
        )
    store.add([_message("p-silent", long_ago), _message("p-still-writing", yesterday)])

    purged = retention.purge(current, store, now=NOW)

    assert purged.memberships == 1 and purged.log_rows == 1
    assert [member.user_id for member in Members(store.engine).all()] == ["p-still-writing", "p-new"]


@pytest.mark.parametrize("days", [0, -3])
def test_a_period_under_a_day_is_refused_and_nothing_is_deleted(store, current, days):
    store.add([_message("p-today", NOW)])
    with pytest.raises(ValueError, match="at least 1 day"):
        retention.purge(current, store, days=days, now=NOW)
    assert store.count() == 1


@pytest.mark.parametrize("days", ["0", "-1", "soon"])
def test_coach_purge_refuses_less_than_a_day_with_a_clear_message(days, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["purge", "--days", days])
    assert stopped.value.code == 2
    assert "1 or more (0 would delete everything" in capsys.readouterr().err


def test_wrong_join_codes_that_no_longer_count_are_purged_too(store, current):
    with store.engine.begin() as connection:
        connection.execute(
            insert(JoinAttemptRow),
            [
                {"user_id": "p-tried-yesterday", "failures": 5, "last_failure_at": NOW - dt.timedelta(days=1)},
                {"user_id": "p-trying-now", "failures": 2, "last_failure_at": NOW - dt.timedelta(minutes=5)},
            ],
        )
    retention.purge(current, store, now=NOW)
    with store.engine.connect() as connection:
        assert connection.execute(select(JoinAttemptRow.user_id)).scalars().all() == ["p-trying-now"]
