"""A real browser: Debian's headless Chromium, driven by Playwright, on the dashboard over demo
data, served by its production server (waitress) as `make run` serves it."""

import shutil
import threading

import pytest

from bot.dashboard.server import make_server
from tests.services import unavailable
from tests.unit.dashboard import conftest as dashboard
from tests.unit.dashboard.conftest import PASSWORDS

# The dashboard over demo data, on SQLite and PostgreSQL, as the dashboard's own tests build it.
app, dashboard_settings = dashboard.app, dashboard.dashboard_settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DRAWN = """() => [...document.querySelectorAll('canvas[data-chart]')].map((canvas) => {
  const chart = Chart.getChart(canvas);
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
  return {name: canvas.dataset.chart, chart: !!chart, points: chart ? chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0) : 0, inked};
})"""


def require_chromium() -> None:
    if CHROMIUM is None:
        unavailable("Debian's chromium is not installed", "make test installs it where it runs as root with apt-get")


@pytest.fixture(scope="module")
def served(app):
    require_chromium()
    server = make_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


def chromium_page(**options):
    """A fresh page in Debian's headless Chromium (skips where it is not installed); `options` for new_page."""
    require_chromium()
    try:
        from playwright import sync_api
    except ImportError:
        unavailable("Playwright is not installed", "requirements.lock installs it")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser.new_page(**{"viewport": {"width": 1280, "height": 1000}, **options})
        browser.close()


@pytest.fixture(scope="module")
def page(served):
    yield from chromium_page()


def test_a_lead_logs_in_sees_the_charts_drawn_and_filters_them(served, page, tmp_path):
    page.goto(f"{served}/?start=2026-09-20&end=2026-11-20")
    assert "/login" in page.url
    page.fill("input[name=username]", "luca")
    page.fill("input[name=password]", PASSWORDS["luca"][1])
    page.click("form.login button")
    page.wait_for_selector("#chart-objections_weekly")
    assert "start=2026-09-20" in page.url, "the login returns to the page asked for"
    charts = {c["name"]: c for c in page.evaluate(DRAWN)}
    # The weekly pulse has no answers in this fixture's log (coach demo-data writes some).
    assert set(charts) == {"objections_weekly", "sentiment_weekly", "pulse_weekly"}
    drawn = [charts[name] for name in ("objections_weekly", "sentiment_weekly")]
    assert all(c["chart"] and c["points"] > 0 and c["inked"] > 1000 for c in drawn), charts
    everyone = charts["objections_weekly"]["points"]

    page.select_option("#filters select[name=language]", "es")
    page.click("#filters button")
    page.wait_for_url("**language=es**")
    filtered = {c["name"]: c for c in page.evaluate(DRAWN)}
    # Fewer weeks x objections: a cell shows only where its part of the language breakdown may be
    # shown (bot/dashboard/queries.py), which on the demo's small Spanish team can be none.
    assert filtered["objections_weekly"]["chart"] and filtered["objections_weekly"]["points"] < everyone
    assert page.input_value("#filters select[name=language]") == "es"
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    assert (tmp_path / "overview.png").stat().st_size > 10_000


@pytest.fixture
def italian_page(page):
    """A page of its own (no session yet) in the same Chromium, set to Italian."""
    italian = page.context.browser.new_page(locale="it-IT", extra_http_headers={"Accept-Language": "it-IT,it;q=0.9"})
    yield italian
    italian.close()


def test_a_lead_with_an_italian_browser_sees_the_overview_in_italian_with_drawn_charts(served, italian_page):
    page = italian_page
    page.goto(f"{served}/?start=2026-09-20&end=2026-11-20")
    assert page.get_attribute("html", "lang") == "it" and page.text_content("form.login h1") == "Accedi"
    page.fill("input[name=username]", "luca")
    page.fill("input[name=password]", PASSWORDS["luca"][1])
    page.click("form.login button")
    page.wait_for_selector("#chart-objections_weekly")
    assert page.text_content("h1") == "Panoramica" and "Obiezioni per settimana" in page.text_content("main")
    charts = {c["name"]: c for c in page.evaluate(DRAWN)}
    drawn = [charts[name] for name in ("objections_weekly", "sentiment_weekly")]
    assert all(c["chart"] and c["points"] > 0 and c["inked"] > 1000 for c in drawn), charts
    # The legends and the weeks on the axis are Italian too: the moods, and months as Italian writes them.
    legends = page.evaluate(
        "() => Chart.getChart(document.getElementById('chart-sentiment_weekly')).data.datasets.map((d) => d.label)"
    )
    assert legends == ["negativo", "neutro", "positivo"]
    weeks = page.evaluate("() => Chart.getChart(document.getElementById('chart-objections_weekly')).data.labels")
    assert any(week.endswith(("set", "ott", "nov")) for week in weeks), weeks
