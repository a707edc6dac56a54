"""A dashboard over a real log database, filled with `coach demo-data`'s synthetic weeks."""

import datetime as dt
import re

import pytest

from bot.adoption_log import demo_data
from bot.adoption_log.store import LogStore
from bot.dashboard.app import create_app
from bot.dashboard.users import Users
from bot.knowledge import base as knowledge
from bot.settings import load
from tests.conftest import ROOT

PASSWORDS = {
    "anna": ("admin", "admin-password-1"),
    "luca": ("lead", "lead-password-1"),
    "tina": ("trainer", "trainer-password-1"),
}
NOW = dt.datetime(2026, 11, 20, 12, 0)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dashboard_settings(request, tmp_path_factory):
    """One filled database per module and backend: the demo weeks take a moment to write."""
    var = tmp_path_factory.mktemp("dashboard")
    if request.param == "sqlite":
        url = f"sqlite:///{var / 'coach.db'}"
        yield load({"DATABASE_URL": url, "COACH_VAR_DIR": str(var), "COACH_SECRET_KEY": "k"})
        return
    from tests.databases import fresh_postgres_database

    for url in fresh_postgres_database():
        yield load({"DATABASE_URL": url, "COACH_VAR_DIR": str(var), "COACH_SECRET_KEY": "k"})


@pytest.fixture(scope="module")
def app(dashboard_settings):
    store = LogStore(dashboard_settings.log_db_url)
    store.migrate()
    demo_data.replace_demo_data(store, demo_data.generate(knowledge.load(), ROOT / "data" / "nlu", b"k", now=NOW))
    users = Users(store.engine)
    for name, (role, password) in PASSWORDS.items():
        users.add(name, password, role)
    app = create_app(dashboard_settings, store=store)
    yield app
    store.close()


class Browser:
    """Flask's test client as a browser on HTTPS (the session cookie is Secure), sending a Referer."""

    def __init__(self, app):
        self.client = app.test_client()
        self.options = {"base_url": "https://coach.example", "headers": {"Referer": "https://coach.example/"}}

    def get(self, path):
        return self.client.get(path, **self.options)

    def post(self, path, data, with_token=True):
        if with_token:
            page = self.get("/login")  # renders a token for this session, logged in or not
            data = {**data, "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)}
        return self.client.post(path, data=data, **self.options)

    def login(self, name):
        response = self.post("/login", {"username": name, "password": PASSWORDS[name][1]})
        assert response.status_code == 302, response.text
        return self


@pytest.fixture
def browser(app):
    return Browser(app)


@pytest.fixture
def period():
    """The demo data's eight weeks, as a query string."""
    return "start=2026-09-20&end=2026-11-20"
