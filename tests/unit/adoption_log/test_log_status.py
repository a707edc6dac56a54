"""`coach log status`: what waits, when the outbox last delivered, the dead letters; exit 1 on a problem."""

import sqlite3

import pytest

from bot import cli
from bot.adoption_log.outbox import Outbox
from bot.adoption_log.store import LogStore
from tests.unit.adoption_log.test_store import record


@pytest.fixture
def env(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("COACH_OUTBOX_MAX_ROWS", "10")
    store = LogStore(database_url)
    store.migrate()
    yield store, Outbox(tmp_path / "outbox.db", max_rows=10)
    store.close()


def test_all_well_is_exit_zero_with_the_last_delivery(env, capsys):
    store, outbox = env
    assert cli.main(["log", "status"]) == 0
    assert "last delivery: never" in capsys.readouterr().out
    outbox.put(record())
    outbox.deliver(store)
    outbox.put(record())
    assert cli.main(["log", "status"]) == 0
    out = capsys.readouterr().out
    assert "outbox: 1 rows waiting of at most 10 (10%)" in out
    assert "last delivery: 20" in out and "dead letters: 0" in out and "PROBLEM" not in out


def test_dead_letters_are_a_problem_with_their_reasons(env, capsys):
    store, outbox = env
    with sqlite3.connect(outbox.path) as db:
        db.execute("INSERT INTO outbox (kind, payload) VALUES ('record', '{broken')")
    outbox.deliver(store)
    assert cli.main(["log", "status"]) == 1
    out = capsys.readouterr().out
    assert "dead letters: 1" in out and "JSONDecodeError" in out and "PROBLEM: 1 dead letters" in out


def test_an_outbox_over_80_percent_full_is_a_problem(env, capsys):
    _, outbox = env
    for _ in range(8):
        outbox.put(record())
    assert cli.main(["log", "status"]) == 0
    outbox.put(record())
    assert cli.main(["log", "status"]) == 1
    assert "PROBLEM: the outbox is 90% full" in capsys.readouterr().out


def test_refused_rows_are_reported(env, capsys):
    _, outbox = env
    for _ in range(12):
        outbox.put(record())
    assert cli.main(["log", "status"]) == 1
    assert "refused while the outbox was full: 2 rows" in capsys.readouterr().out


def test_an_unreachable_database_is_a_problem_and_the_outbox_is_still_shown(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://coach@127.0.0.1:9/coach")
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    assert cli.main(["log", "status"]) == 1
    out = capsys.readouterr().out
    assert "outbox: 0 rows waiting" in out and "PROBLEM: the log database cannot be read" in out


def test_the_help_documents_the_exit_code(capsys):
    with pytest.raises(SystemExit):
        cli.main(["log", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "Exit code: 0 all well; 1 dead letters exist, the outbox is over 80 % full" in help_text


def test_the_outbox_bound_is_a_setting_and_a_bad_one_is_named():
    from bot.settings import SettingsError, load

    assert load({}).outbox_max_rows == 100_000
    assert load({"COACH_OUTBOX_MAX_ROWS": "500"}).outbox_max_rows == 500
    for bad in ("0", "-3", "lots"):
        with pytest.raises(SettingsError, match="COACH_OUTBOX_MAX_ROWS must be a whole number of rows"):
            load({"COACH_OUTBOX_MAX_ROWS": bad})
