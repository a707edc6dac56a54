"""A dashboard over a real log database, filled with `coach demo-data`'s synthetic weeks."""

import datetime as dt
import re
import shutil

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


def own_files(var):
    """Settings for copies of the knowledge and the training data in `var`: a test that edits
    an answer or adds examples (on purpose or by accident) never writes the project's own."""
    shutil.copytree(ROOT / "knowledge", var / "knowledge")
    shutil.copytree(ROOT / "data", var / "data")
    return {
        "COACH_VAR_DIR": str(var),
        "COACH_KNOWLEDGE_DIR": str(var / "knowledge"),
        "COACH_DATA_DIR": str(var / "data"),
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dashboard_settings(request, tmp_path_factory):
    """One filled database per module and backend: the demo weeks take a moment to write."""
    var = tmp_path_factory.mktemp("dashboard")
    if request.param == "sqlite":
        url = f"sqlite:///{var / 'coach.db'}"
        yield load({"DATABASE_URL": url, "COACH_SECRET_KEY": "k", **own_files(var)})
        return
    from tests.databases import fresh_postgres_database

    for url in fresh_postgres_database():
        yield load({"DATABASE_URL": url, "COACH_SECRET_KEY": "k", **own_files(var)})


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


def own_app(var, **environ):
    """A dashboard of its own over an empty SQLite log, with the three users; `environ` adds settings."""
    settings = load({"COACH_SECRET_KEY": "k", **own_files(var), **environ})
    store = LogStore(settings.log_db_url)
    store.migrate()
    for name, (role, password) in PASSWORDS.items():
        Users(store.engine).add(name, password, role)
    return create_app(settings, store=store)


@pytest.fixture
def fresh_app(tmp_path):
    """A dashboard of its own, for tests that change what it remembers (such as failed logins)."""
    app = own_app(tmp_path)
    yield app
    app.extensions["coach"]["store"].close()


class Browser:
    """Flask's test client as a browser (on HTTPS unless `base_url` says otherwise), sending a
    Referer, from `address`."""

    def __init__(self, app, base_url="https://coach.example", address="127.0.0.1"):
        self.client = app.test_client()
        self.options = {
            "base_url": base_url,
            "headers": {"Referer": f"{base_url}/"},
            "environ_base": {"REMOTE_ADDR": address},
        }

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
