"""Which short answers work: figures per variant with Wilson intervals on a hand-built log (both
databases), small groups hidden, ranking by the effect measured; retiring from the Answers page."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from markupsafe import escape

from bot.adoption_log.store import LogRecord
from bot.dashboard import variants
from bot.dashboard.queries import Filters
from bot.knowledge import base as knowledge
from bot.knowledge.replies import variant_id
from tests.unit.dashboard.conftest import Browser, own_app

ENTRY = "objection_no_time"
WEEK = Filters.whole_weeks(dt.date(2026, 11, 16), dt.date(2026, 11, 22))
PERIOD = "start=2026-11-16&end=2026-11-22"
MORNING = dt.datetime(2026, 11, 18, 9, 0)


def _row(user: str, ts: dt.datetime, direction: str, **fields) -> LogRecord:
    return LogRecord(str(uuid.uuid4()), ts, user, direction, language="it", team="north", **fields)


def _conversation(user: str, variant: int, rating: str | None = None, next_score: float | None = None, later=None):
    """An objection (score -0.6), the answer with `variant`, perhaps a rating, perhaps a next typed message."""
    rows = [
        _row(user, MORNING, "user", intent=ENTRY, sentiment_score=-0.6),
        _row(user, MORNING + dt.timedelta(seconds=1), "bot", intent=ENTRY, kb_entry=ENTRY, answer_variant=variant),
    ]
    if rating:
        click = MORNING + dt.timedelta(minutes=2)
        rows.append(_row(user, click, "user", intent=f"feedback_{rating}"))
        rows.append(_row(user, click, "bot", kb_entry=ENTRY, feedback=rating, answer_variant=variant))
    if next_score is not None:
        rows.append(_row(user, MORNING + (later or dt.timedelta(minutes=10)), "user", sentiment_score=next_score))
    return rows


@pytest.fixture(scope="module")
def shorts():
    return knowledge.load().entry(ENTRY).answers["it"].short


def _log(shorts, with_a_small_variant: bool = False) -> list[LogRecord]:
    """Variant A: 7 people, 5 of 6 ratings helped, 4 of 6 next messages less negative. Variant B:
    8 people (given more often), none of 8 ratings helped, 0 of 5 less negative (a sixth person
    wrote 13 hours later: another conversation). Variant C, if asked for: 3 people."""
    a, b, c = (variant_id(text) for text in shorts[:3])
    rows = []
    for n in range(7):
        rating = "helpful" if n < 5 else "not_helpful" if n == 5 else None
        rows += _conversation(f"a{n}", a, rating, next_score=-0.1 if n < 4 else -0.8 if n < 6 else None)
    for n in range(8):
        later = dt.timedelta(hours=13) if n == 5 else None
        rows += _conversation(f"b{n}", b, "not_helpful", next_score=-0.9 if n < 6 else None, later=later)
    if with_a_small_variant:
        for n in range(3):
            rows += _conversation(f"c{n}", c, "helpful", next_score=0.5)
    return rows


@pytest.fixture
def store(migrated_log):
    return migrated_log


def test_wilson_intervals_match_the_published_values():
    assert variants.wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert variants.wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert variants.wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    with pytest.raises(ValueError):
        variants.wilson(0, 0)


def test_figures_per_variant_with_intervals_ranked_by_the_effect(store, shorts):
    store.add(_log(shorts))
    [group] = variants.ranked(store.engine, WEEK, knowledge.load())
    assert (group["kb_entry"], group["language"]) == (ENTRY, "it")
    first, second = group["variants"]
    assert (first["rank"], first["variant"], first["text"]) == (1, variant_id(shorts[0]), shorts[0][:120] + "…")
    assert (first["given"], first["people"]) == (7, 7)
    assert (first["helped"].part, first["helped"].whole, first["not_helped"].part) == (5, 6, 1)
    assert first["helped"].interval == pytest.approx((0.4365, 0.9699), abs=1e-4)
    assert (first["less_negative"].part, first["less_negative"].whole) == (4, 6)
    assert (second["rank"], second["variant"], second["given"]) == (2, variant_id(shorts[1]), 8)
    assert (second["helped"].part, second["helped"].whole) == (0, 8)
    assert second["helped"].interval == pytest.approx((0.0, 0.3244), abs=1e-4)
    assert (second["less_negative"].part, second["less_negative"].whole) == (0, 5), "13 hours later is not counted"
    assert second["behind"] and not first["behind"], "B's whole interval is under A's"


def test_a_variant_of_fewer_than_5_people_shows_nothing_and_the_smallest_other_is_hidden_too(store, shorts):
    store.add(_log(shorts, with_a_small_variant=True))
    [group] = variants.ranked(store.engine, WEEK, knowledge.load())
    by_variant = {row["variant"]: row for row in group["variants"]}
    a, b, small = (by_variant[variant_id(text)] for text in shorts[:3])
    for hidden in (small, a):  # A (7 people) is the smallest shown: the entry's total minus B would give C
        assert not hidden["shown"]
        assert [hidden[k] for k in ("given", "people", "helped", "not_helped", "less_negative")] == [None] * 5
    assert b["shown"] and b["given"] == 8 and group["variants"][0] is b, "hidden rows are ranked last"


def test_a_share_resting_on_fewer_than_5_people_is_hidden_in_a_shown_row(store, shorts):
    a = variant_id(shorts[0])
    rows = []
    for n in range(6):
        rows += _conversation(f"p{n}", a, "helpful" if n < 4 else None, next_score=0.2)
    store.add(rows)
    [row] = variants.ranked(store.engine, WEEK, knowledge.load())[0]["variants"]
    assert (row["given"], row["helped"], row["not_helped"]) == (6, None, None), "4 raters"
    assert (row["less_negative"].part, row["less_negative"].whole) == (6, 6)


def test_the_period_filters_and_an_earlier_text_is_said_to_be_one(store, shorts):
    store.add(_log(shorts))
    store.add([row for n in range(5) for row in _conversation(f"x{n}", 12345, "helpful")])
    next_week = Filters.whole_weeks(dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert variants.ranked(store.engine, next_week, knowledge.load()) == []
    [group] = variants.ranked(store.engine, WEEK, knowledge.load())
    earlier = next(row for row in group["variants"] if row["variant"] == 12345)
    assert earlier["text"] is None and earlier["given"] == 5


@pytest.fixture
def page_app(tmp_path, shorts):
    app = own_app(tmp_path)
    app.extensions["coach"]["store"].add(_log(shorts))
    yield app, tmp_path / "knowledge" / "answers" / f"{ENTRY}.yml"
    app.extensions["coach"]["store"].close()


def _retire(browser: Browser, variant: int, **fields):
    data = {"intent": ENTRY, "language": "it", "variant": str(variant), **fields}
    return browser.post(f"/answers/variants/retire?{PERIOD}", data)


def test_a_trainer_sees_the_ranking_and_retires_a_variant_from_the_page(page_app, shorts):
    app, file = page_app
    tina = Browser(app).login("tina")
    page = tina.get(f"/answers?{PERIOD}").text
    assert "Which short answers work" in page and page.count(">Retire</button>") == 2
    assert page.index(escape(shorts[0][:60])) < page.index(escape(shorts[1][:60])), "ranked by the effect"
    assert "[44%–97%]" in page and "rewrite or retire it" in page

    response = _retire(tina, variant_id(shorts[1]))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/answers?{PERIOD}")
    assert knowledge.load(file.parent.parent).entry(ENTRY).answers["it"].retired == (shorts[1],)
    assert app.extensions["coach"]["editor"].history(ENTRY)[0].author == "tina"
    time.sleep(1.1)  # the dashboard's knowledge base looks at the files once a second
    page = tina.get(f"/answers?{PERIOD}").text
    assert "Retired: the coach no longer gives this answer." in page
    assert ">Retired</strong>" in page and ">Give again</button>" in page


def test_the_last_active_variant_cannot_be_retired_and_the_page_says_why(page_app, shorts):
    app, file = page_app
    tina = Browser(app).login("tina")
    for text in shorts[1:]:
        assert app.extensions["coach"]["editor"].retire(ENTRY, "it", text, "tina") == []
    before = file.read_text(encoding="utf-8")
    page = tina.client.get(_retire(tina, variant_id(shorts[0])).headers["Location"], **tina.options).text
    assert "at least one short answer must stay active" in page and file.read_text(encoding="utf-8") == before
    page = tina.client.get(_retire(tina, 42).headers["Location"], **tina.options).text
    assert "no longer in the file" in page


def test_a_lead_sees_the_figures_but_cannot_retire_nor_can_a_form_without_its_token(page_app, shorts):
    app, file = page_app
    before = file.read_text(encoding="utf-8")
    luca = Browser(app).login("luca")
    page = luca.get(f"/answers?{PERIOD}").text
    assert "Which short answers work" in page and ">Retire</button>" not in page
    assert _retire(luca, variant_id(shorts[1])).status_code == 403
    tina = Browser(app).login("tina")
    data = {"intent": ENTRY, "language": "it", "variant": str(variant_id(shorts[1]))}
    assert tina.post("/answers/variants/retire", data, with_token=False).status_code == 400
    assert file.read_text(encoding="utf-8") == before
