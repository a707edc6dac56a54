"""Telegram access on real databases: wrong join codes lock an account out for an hour, in the
database (a restart does not reset the count), and the operator lists and revokes members."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from bot import cli
from bot.adoption_log.store import LogStore
from bot.channels.access import JOINED, LOCK_TIME, LOCKED, MAX_WRONG_CODES, REFUSED, Access, JoinAttemptRow
from bot.db import utc_now
from bot.privacy.pseudonyms import pseudonym

CODE = "crm-pilot-2026"
KEY = "the-key-of-these-tests"


def _access(engine) -> Access:
    """A new one each time: as after a restart of the connector."""
    return Access("telegram", KEY.encode(), engine, frozenset(), CODE)


def test_five_wrong_codes_lock_the_account_even_for_the_right_code_and_across_a_restart(engine):
    answers = [_access(engine).admit("2001", f"guess-{n}") for n in range(MAX_WRONG_CODES)]
    assert answers == [REFUSED] * (MAX_WRONG_CODES - 1) + [LOCKED]
    assert _access(engine).admit("2001", CODE) == LOCKED
    assert not _access(engine).is_allowed("2001")
    assert _access(engine).admit("2002", CODE) == JOINED, "another account is not affected"


def test_the_lock_ends_after_an_hour_and_joining_clears_the_count(engine):
    for n in range(MAX_WRONG_CODES):
        _access(engine).admit("2001", f"guess-{n}")
    an_hour_ago = utc_now() - LOCK_TIME - dt.timedelta(minutes=1)
    with engine.begin() as connection:
        connection.execute(update(JoinAttemptRow).values(last_failure_at=an_hour_ago))
    assert _access(engine).admit("2001", CODE) == JOINED
    with engine.connect() as connection:
        assert connection.execute(JoinAttemptRow.__table__.select()).all() == []


def test_wrong_codes_an_hour_apart_do_not_add_up(engine):
    for n in range(MAX_WRONG_CODES - 1):
        _access(engine).admit("2001", f"guess-{n}")
    with engine.begin() as connection:
        connection.execute(update(JoinAttemptRow).values(last_failure_at=utc_now() - LOCK_TIME))
    assert _access(engine).admit("2001", "one-more-guess") == REFUSED
    assert _access(engine).admit("2001", CODE) == JOINED


@pytest.fixture
def coach_env(monkeypatch, tmp_path):
    """`coach` on this test's own files (the environment wins over a developer's .env)."""
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("COACH_SECRET_KEY", KEY)
    store = LogStore(f"sqlite:///{tmp_path / 'coach.db'}")
    store.migrate()
    yield store.engine
    store.close()


def test_coach_telegram_members_lists_pseudonyms_and_revokes_by_account_or_pseudonym(coach_env, capsys):
    access = _access(coach_env)
    assert access.admit("2001", CODE) == JOINED and access.admit("2002", CODE) == JOINED
    first, second = (pseudonym(KEY.encode(), "telegram", account) for account in ("2001", "2002"))

    assert cli.main(["telegram", "members"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == [first, second]
    assert all(f"joined {utc_now():%Y-%m-%d}" in line for line in listed)
    assert "2001" not in "".join(listed)

    assert cli.main(["telegram", "members", "--revoke", "2001"]) == 0
    assert cli.main(["telegram", "members", "--revoke", second]) == 0
    assert not access.is_allowed("2001") and not access.is_allowed("2002")
    capsys.readouterr()
    with pytest.raises(SystemExit) as refused:
        cli.main(["telegram", "members", "--revoke", "2001"])
    assert refused.value.code == 2 and "no Telegram member 2001" in capsys.readouterr().err
