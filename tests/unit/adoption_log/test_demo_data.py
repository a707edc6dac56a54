"""`coach demo-data` and `coach user`: what a new adoption lead runs first."""

import io

from bot import cli
from bot.adoption_log import demo_data
from bot.adoption_log.store import LogStore
from bot.dashboard.users import Users
from bot.knowledge import base as knowledge
from tests.conftest import ROOT
from tests.unit.adoption_log.test_store import record


def test_demo_weeks_cover_three_languages_several_teams_and_real_answers():
    kb = knowledge.load()
    rows = demo_data.generate(kb, ROOT / "data" / "nlu", b"k", weeks=3, people=25)
    said = [r for r in rows if r.direction == "user"]
    assert {r.language for r in said if r.language} == {"it", "es", "en"}
    assert len({r.team for r in rows}) == 5 and len({r.user_id for r in rows}) >= 15
    assert all(r.event_id.startswith("demo-") for r in rows)
    answers = [r for r in rows if r.direction == "bot" and r.kb_entry and r.intent == r.kb_entry]
    assert answers and all(
        any(s in r.text for s in kb.entries[r.kb_entry].answers[r.language].short) for r in answers[:50]
    )
    assert {r.feedback for r in rows} >= {"helpful", "not_helpful"}
    assert any(r.intent == "nlu_fallback" for r in said)


def test_running_it_again_replaces_the_demo_rows_and_keeps_real_ones(database_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    store = LogStore(database_url)
    store.migrate()
    store.add([record()])
    assert cli.main(["demo-data", "--weeks", "2", "--people", "10"]) == 0
    first = store.count()
    assert cli.main(["demo-data", "--weeks", "2", "--people", "10"]) == 0
    assert store.count() == first > 1
    store.forget("p-aaa")
    assert store.count() == first - 1
    store.close()


def test_user_add_reads_the_password_from_stdin_and_refuses_a_short_one(database_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert cli.main(["user", "add", "luca", "--role", "lead", "--password-stdin"]) == 0
    store = LogStore(database_url)
    assert Users(store.engine).authenticate("luca", "a-long-password").role == "lead"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    try:
        cli.main(["user", "add", "mia", "--role", "lead", "--password-stdin"])
        raise AssertionError("a short password was accepted")
    except SystemExit as exit_:
        assert exit_.code == 2 and "at least 10 characters" in capsys.readouterr().err
    store.close()
