"""Logging in safely: only same-site pages after a login, throttled guessing, forms that last
as long as the session, a cookie that works over plain http, and pages that say why not."""

import re
import time
from urllib.parse import urlencode

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from bot.dashboard.auth import same_site_path
from bot.dashboard.throttle import FREE_FAILURES, LoginThrottle
from tests.unit.dashboard.conftest import PASSWORDS, Browser, own_app

HOSTILE_NEXT = [
    "//evil.example",
    "/\t/evil.example",  # ?next=/%09/evil.example: browsers drop the tab
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/ /evil.example",
    "/\u3000/evil.example",
    "/\u200b/evil.example",
    "/\x00/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%09/evil.example",  # percent-encoded twice in the address
    "/%2F/evil.example",
    "/%5Cevil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
    "/" + "a" * 3000,
]


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One dashboard for the tests that fail no login (so nothing is throttled)."""
    app = own_app(tmp_path_factory.mktemp("shared"))
    yield app
    app.extensions["coach"]["store"].close()


def login(app, target):
    browser = Browser(app)
    form = {"username": "luca", "password": PASSWORDS["luca"][1]}
    return browser.post("/login?" + urlencode({"next": target}), form)


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_a_login_never_leaves_the_site(shared_app, target):
    """To the overview, or (for control characters and overlong values) a page that says why."""
    response = login(shared_app, target)
    if response.status_code == 400:
        assert "has control characters" in response.text and "Location" not in response.headers
    else:
        assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_no_hostile_next_is_taken_for_a_page_of_this_site(target):
    assert same_site_path(target) is None


def test_a_login_returns_to_the_page_of_this_site_that_asked_for_it(shared_app):
    page = "/objections?team=Iberia&q=a%20b"
    assert login(shared_app, page).headers["Location"] == page


def failed_login(browser, name):
    return browser.post("/login", {"username": name, "password": "not-the-password"})


def test_five_failures_lock_the_account_out_and_the_page_says_for_how_long(fresh_app):
    guesser = Browser(fresh_app, address="10.0.0.1")
    for _ in range(FREE_FAILURES):
        assert failed_login(guesser, "luca").status_code == 401
    locked = guesser.post("/login", {"username": "luca", "password": PASSWORDS["luca"][1]})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "Too many failed logins. Try again in" in locked.text
    elsewhere = Browser(fresh_app, address="10.0.0.2")
    assert elsewhere.post("/login", {"username": "luca", "password": PASSWORDS["luca"][1]}).status_code == 429
    elsewhere.login("tina")  # another account from another address is not locked


def test_guessing_at_many_accounts_from_one_address_locks_the_address_out(fresh_app):
    guesser = Browser(fresh_app, address="10.0.0.3")
    for n in range(FREE_FAILURES):
        assert failed_login(guesser, f"someone-{n}").status_code == 401
    assert guesser.post("/login", {"username": "tina", "password": PASSWORDS["tina"][1]}).status_code == 429
    Browser(fresh_app, address="10.0.0.4").login("tina")


def test_a_locked_out_login_runs_no_password_check(fresh_app):
    """With every password-check place taken, a locked-out login is still answered at once
    (it needs no place), while a login that would be checked is told to retry."""
    throttle = fresh_app.extensions["coach"]["throttle"] = LoginThrottle(check_wait=0.05)
    guesser = Browser(fresh_app, address="10.0.0.5")
    for _ in range(FREE_FAILURES):
        failed_login(guesser, "luca")
    with throttle.password_check(), throttle.password_check():
        locked = guesser.post("/login", {"username": "luca", "password": PASSWORDS["luca"][1]})
        busy = Browser(fresh_app, address="10.0.0.6").post(
            "/login", {"username": "tina", "password": PASSWORDS["tina"][1]}
        )
    assert locked.status_code == 429 and "Too many failed logins" in locked.text
    assert busy.status_code == 429 and "being checked right now" in busy.text


def signed_hours_ago(app, browser, hours):
    """The session's CSRF token as the page signed it `hours` ago (Flask-WTF's own serializer)."""
    browser.get("/login")
    with browser.client.session_transaction(base_url="https://coach.example") as session:
        raw = session["csrf_token"]

    class Earlier(TimestampSigner):
        def get_timestamp(self):
            return int(time.time() - hours * 3600)

    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=Earlier).dumps(raw)


def test_a_form_opened_hours_ago_in_the_session_still_posts(shared_app):
    browser = Browser(shared_app)
    token = signed_hours_ago(shared_app, browser, hours=7)
    form = {"username": "luca", "password": PASSWORDS["luca"][1], "csrf_token": token}
    assert browser.client.post("/login", data=form, **browser.options).status_code == 302


@pytest.mark.parametrize("token", ["expired", "", "forged.token.value"])
def test_an_expired_or_invalid_form_gets_a_page_that_says_what_to_do(shared_app, token):
    browser = Browser(shared_app)
    if token == "expired":
        token = signed_hours_ago(shared_app, browser, hours=9)
    form = {"username": "luca", "password": PASSWORDS["luca"][1], "csrf_token": token}
    response = browser.client.post("/login", data=form, **browser.options)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "<h1>This form has expired</h1>" in response.text and "Nothing was saved" in response.text
    assert PASSWORDS["luca"][1] not in response.text and "Traceback" not in response.text
    assert token not in response.text or token == ""


def test_over_plain_http_the_cookie_is_not_secure_and_the_login_works(shared_app):
    lan = Browser(shared_app, base_url="http://192.168.1.20:8050")
    response = lan.post("/login", {"username": "luca", "password": PASSWORDS["luca"][1]})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert lan.get("/").status_code == 200


def test_served_over_https_the_cookie_is_secure(tmp_path):
    app = own_app(tmp_path, COACH_DASHBOARD_HTTPS="true")
    response = Browser(app).post("/login", {"username": "luca", "password": PASSWORDS["luca"][1]})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app.extensions["coach"]["store"].close()


@pytest.mark.parametrize(
    ("name", "path", "for_whom"),
    [
        ("tina", "/users", "This page is for admins"),
        ("luca", "/users", "This page is for admins"),
        ("luca", "/not-understood", "This page is for trainers and admins"),
        ("luca", "/csv/not_understood.csv", "This page is for trainers and admins"),
    ],
)
def test_a_page_above_ones_role_says_who_it_is_for(shared_app, name, path, for_whom):
    response = Browser(shared_app).login(name).get(path)
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "<h1>Not for your role</h1>" in response.text and for_whom in response.text
    assert f"You are logged in as {name}" in response.text
    assert re.search(r"<nav>.*Overview", response.text, re.S), "the page keeps the menu to go elsewhere"
