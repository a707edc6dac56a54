"""Odd and hostile addresses get a clear answer, never a server error: every route of the
dashboard (from its URL map) with every query string below, on SQLite and PostgreSQL."""

import pytest

from tests.unit.dashboard.conftest import Browser

HOSTILE_QUERIES = [
    # names url_for takes for itself or for a route's arguments, and names no page reads
    "endpoint=x&_external=1&_scheme=javascript&_anchor=x&_method=POST&name=x&user_id=x&intent=x"
    "&language=xx&filename=x&version_id=x&event_id=x&unknown=1&another=&=x&&&",
    "end=9999-12-31",
    "start=0000-00-00&end=-1",
    "start=0001-01-01&end=0001-01-02",
    "start=9999-12-31&end=2026-02-30",
    "start=99999999999999999999999&end=1e308",
    "team=a&team=b&objection=x&objection=y&handled=1&handled=0&next=//evil.example&next=/%09/evil.example",
    "team=Iberia&channel=telegram&language=it&start=2026-11-20&end=2026-01-01",
    "team=%ff%fe&q=%c3%28&objection=%ed%a0%80&%ff%fe=%ff",
    "team=%00&q=%00",
    "channel=%0a%0d&objection=%09",
    "team=" + "x" * 10_000,
    "q=" + "%25_" * 150 + "&objection=" + "o" * 400,
]
SAMPLE_ARGUMENTS = {
    "name": "answers",
    "user_id": "p-nobody",
    "event_id": "no-such-event",
    "intent": "objection_no_time",
    "language": "it",
    "version_id": "1",
    "filename": "dashboard.css",
    "howto_id": "log_a_call",
}
HOSTILE_PATHS = [
    ("POST", "/knowledge/objection_no_time/revert/99999999999999999999999"),
    ("POST", "/wants-a-person/%00/done"),
    ("GET", "/conversations/p-%00"),
    ("GET", "/conversations/" + "p" * 5000),
    ("GET", "/knowledge/..%2F..%2Fsettings/it"),
    ("GET", "/knowledge/objection_no_time/%00"),
    ("GET", "/csv/%ff.csv"),
]
# Posting it would end the session; it reads no query string.
NOT_POSTED = {"auth.logout"}


def routes(app):
    """(method, path) of every route with sample arguments."""
    for rule in app.url_map.iter_rules():
        path = _filled(rule.rule)
        for method in sorted(rule.methods & {"GET", "POST"}):
            if not (method == "POST" and rule.endpoint in NOT_POSTED):
                yield method, path


def _filled(rule):
    """The rule with each <converter:argument> replaced by its sample value."""
    path = rule
    while "<" in path:
        start, end = path.index("<"), path.index(">")
        argument = path[start + 1 : end].split(":")[-1]
        path = path[:start] + SAMPLE_ARGUMENTS[argument] + path[end + 1 :]
    return path


def assert_answered(response, what):
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if response.status_code == 400:
        assert "<h1>" in response.text and "Traceback" not in response.text, what


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_no_route_fails_on_an_odd_query_string(app, query):
    # An address per query string: the walk's empty login forms count as failed logins.
    browser = Browser(app, address=f"10.0.{HOSTILE_QUERIES.index(query)}.1").login("anna")
    for method, path in routes(app):
        address = f"{path}?{query}"
        response = browser.get(address) if method == "GET" else browser.post(address, {})
        assert_answered(response, f"{method} {address[:120]}")


@pytest.mark.parametrize(("method", "path"), HOSTILE_PATHS)
def test_no_route_fails_on_an_odd_path(browser, method, path):
    browser.login("anna")
    response = browser.get(path) if method == "GET" else browser.post(path, {})
    assert response.status_code == 404 and "There is nothing here" in response.text


def test_a_bad_date_is_named_once(browser):
    page = browser.login("luca").get("/objections?start=yesterday").text
    assert page.count("“yesterday” is not a date") == 1


def test_dates_out_of_range_are_named_and_the_default_used(browser):
    page = browser.login("luca").get("/?end=9999-12-31").text
    assert "9999-12-31 is not between 2000-01-01 and 2100-12-31" in page


def test_a_control_character_or_an_overlong_value_gets_a_reason(browser):
    browser.login("luca")
    for query in ("team=%00", "q=" + "x" * 600):
        response = browser.get(f"/?{query}")
        assert response.status_code == 400 and "has control characters" in response.text


def test_links_keep_the_filters_and_nothing_else(browser, period):
    page = browser.login("luca").get(f"/?{period}&team=Iberia&_external=1&endpoint=x&unknown=1").text
    assert 'href="/objections?start=2026-09-20&amp;end=2026-11-20&amp;team=Iberia"' in page
    assert "unknown" not in page and "coach.example" not in page


def test_a_search_with_wildcards_matches_them_as_characters(browser, period):
    page = browser.login("tina").get(f"/conversations?{period}&q=%25").text
    assert "No conversation matches." in page


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/login", {"username": "luca\x00", "password": "lead-password-1"}),
        ("/users", {"action": "remove", "username": "a\x00b"}),
        ("/wants-a-person/no-such-event/done", {"note": "\x1b[2J"}),
    ],
)
def test_a_form_field_with_control_characters_gets_a_reason(browser, path, form):
    browser.login("anna")
    response = browser.post(path, form)
    assert response.status_code == 400 and "A form field has control characters" in response.text


def test_line_breaks_and_tabs_in_a_form_are_fine(browser):
    response = browser.post("/login", {"username": "luca", "password": "lead-password-1\n\t"})
    assert response.status_code == 401
