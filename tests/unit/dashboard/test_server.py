"""The production server (waitress, in a thread) names the client the login throttle counts:
the socket's peer, or, behind the configured proxy, the client that proxy forwards for."""

import contextlib
import re
import threading

import pytest
import requests

from bot.dashboard.server import make_server
from bot.dashboard.throttle import FREE_FAILURES
from bot.settings import load
from tests.unit.dashboard.conftest import PASSWORDS


@pytest.fixture
def serve(fresh_app):
    servers = []

    def start(proxy):
        server = make_server(fresh_app, "127.0.0.1", 0, threads=2, proxy=proxy)
        threading.Thread(target=run_until_closed, args=(server,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    for server in servers:
        server.close()


def run_until_closed(server):
    with contextlib.suppress(OSError):  # close() from the test's thread pulls the socket from under select()
        server.run()


def login(url, name, password, forwarded_for):
    with requests.Session() as browser:
        browser.headers["X-Forwarded-For"] = forwarded_for
        page = browser.get(f"{url}/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"username": name, "password": password, "csrf_token": token}
        return browser.post(f"{url}/login", data=form, allow_redirects=False, timeout=10).status_code


def guess(url, forwarded_for):
    for n in range(FREE_FAILURES):
        assert login(url, f"someone-{n}", "not-the-password", forwarded_for) == 401


def test_behind_the_configured_proxy_each_client_has_its_own_count(serve):
    url = serve(proxy="127.0.0.1")
    guess(url, forwarded_for="10.1.1.1")
    assert login(url, "tina", PASSWORDS["tina"][1], forwarded_for="10.1.1.1") == 429
    assert login(url, "tina", PASSWORDS["tina"][1], forwarded_for="10.2.2.2") == 302


def test_without_a_configured_proxy_a_forwarded_address_is_not_believed(serve):
    url = serve(proxy=None)
    guess(url, forwarded_for="10.1.1.1")
    assert login(url, "tina", PASSWORDS["tina"][1], forwarded_for="10.2.2.2") == 429


def test_the_proxy_and_https_come_from_the_environment():
    configured = load({"COACH_DASHBOARD_PROXY": " 10.0.0.9 ", "COACH_DASHBOARD_HTTPS": "true"})
    assert configured.dashboard_proxy == "10.0.0.9" and configured.dashboard_https is True
    default = load({})
    assert default.dashboard_proxy is None and default.dashboard_https is False
