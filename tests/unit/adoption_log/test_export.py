"""`coach export` and `coach purge`, on the log database DATABASE_URL names (SQLite and PostgreSQL)."""

import csv
import datetime as dt
import io
import json

import pytest

from bot import cli
from bot.adoption_log import export
from bot.adoption_log.outbox import Outbox
from bot.adoption_log.store import LogStore
from bot.db import utc_now
from tests.unit.adoption_log.test_store import record

FIELDS = "ts, user, channel, team, language, direction, text, intent, confidence, sentiment_label, sentiment_score, kb_entry, feedback, request, answer_variant"


@pytest.fixture
def log(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    store = LogStore(database_url)
    store.migrate()
    yield store
    store.close()


def test_csv_has_the_documented_fields_in_order(log, capsys):
    log.add([record(text="no tengo tiempo", sentiment_label="negative", sentiment_score=-0.4, channel="slack")])
    assert cli.main(["export", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == FIELDS.split(", ")
    exported = dict(zip(rows[0], rows[1], strict=True))
    assert (exported["user"], exported["text"], exported["sentiment_label"]) == ("p-aaa", "no tengo tiempo", "negative")
    assert exported["ts"] == "2026-11-20T09:30:00Z"


def test_jsonl_since_a_date(log, capsys):
    log.add([record(ts=dt.datetime(2026, 10, 1)), record(ts=dt.datetime(2026, 11, 2), intent="greet")])
    assert cli.main(["export", "--format", "jsonl", "--since", "2026-11-01"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert list(json.loads(line)) == FIELDS.split(", ")
    assert json.loads(line)["intent"] == "greet"


def test_rows_still_in_the_outbox_are_delivered_before_exporting(log, tmp_path, capsys):
    Outbox(tmp_path / "outbox.db").put(record(intent="thanks"))
    assert cli.main(["export", "--format", "jsonl"]) == 0
    assert json.loads(capsys.readouterr().out)["intent"] == "thanks"


def test_export_to_a_file(log, tmp_path):
    log.add([record()])
    out = tmp_path / "log.csv"
    assert cli.main(["export", "--output", str(out)]) == 0
    assert out.read_text().splitlines()[0] == FIELDS.replace(" ", "")


def test_purge_deletes_what_is_older_than_the_retention_period(log, monkeypatch, capsys):
    monkeypatch.setenv("COACH_RETENTION_DAYS", "30")
    now = utc_now()
    log.add([record(ts=now - dt.timedelta(days=31)), record(ts=now - dt.timedelta(days=29))])
    assert cli.main(["purge"]) == 0
    assert "1 log rows" in capsys.readouterr().out
    assert log.count() == 1
    assert cli.main(["purge", "--days", "1"]) == 0
    assert log.count() == 0


def test_an_unreachable_database_is_a_clear_error_not_a_traceback(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://coach@127.0.0.1:9/coach")
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exit_:
        cli.main(["export"])
    assert exit_.value.code == 2
    assert "not reachable" in capsys.readouterr().err


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format"):
        export.write([], io.StringIO(), "xml")


FORMULAS = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]


def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote(log, capsys):
    log.add(
        [record(text=text, sentiment_score=-0.4) for text in FORMULAS]
        + [record(text="plain - text", sentiment_score=-0.4)]
    )
    assert cli.main(["export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["text"] for row in rows] == [
        '\'=HYPERLINK("http://x")',
        "'+1+2",
        "'-2+3",
        "'@SUM(A1)",
        "'\tcmd",
        "'=1",
        "plain - text",
    ]
    assert {row["sentiment_score"] for row in rows} == {"-0.4"}  # a number stays a number


def test_jsonl_keeps_the_text_as_it_is(log, capsys):
    log.add([record(text="=1+1")])
    assert cli.main(["export", "--format", "jsonl"]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "=1+1"


def test_a_nul_stored_by_an_earlier_version_does_not_stop_the_csv_export(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'coach.db'}"  # PostgreSQL never stored one
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COACH_VAR_DIR", str(tmp_path))
    store = LogStore(url)
    store.migrate()
    store.add([record(text="before\x00after")])
    assert cli.main(["export", "--format", "csv"]) == 0
    [row] = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert row["text"] == "beforeafter"
    store.close()
