"""The dashboard in Italian, Spanish and English: every page a lead, a trainer and an admin can
open is translated (no catalogue text left in English), the catalogues are complete, the language
follows the profile's choice before the browser's, and dates and numbers are written the locale's way."""

import html
import json
import re
from html.parser import HTMLParser

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot import i18n
from tests.conftest import ROOT
from tests.unit.dashboard.conftest import Browser

TRANSLATED = ("it", "es")
NOT_PAGES = {"static", "analytics.chart_library", "analytics.download_csv"}  # files, not pages
# A value for each path argument of the pages, so that every page can be walked.
ARGUMENTS = {"intent": "objection_no_time", "language": "es"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")
HIDDEN = ("script", "style", "code", "pre")
ASIDE = " \t\n.,:;·()+%0123456789"  # around a short text: figures and punctuation


def catalogue(language):
    with i18n.catalogue_path(language, "dashboard").open("rb") as po_file:
        return read_po(po_file)


def visible_text(page):
    """What a reader sees, text by text (between tags, and placeholders), without scripts, styles and
    code (a command is written the same in every language)."""
    parser = _TextParser()
    parser.feed(page)
    return [part.strip() for part in parser.parts]


def shown(pattern, short, texts):
    """How often a catalogue text is shown: a short one (one or two words, which a message of the data
    could also hold) only as a text of its own, give or take figures and punctuation."""
    if short:
        return sum(1 for text in texts if pattern.fullmatch(text.strip(ASIDE)))
    return sum(len(pattern.findall(text)) for text in texts)


class _TextParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in HIDDEN
        self.parts.extend(value for name, value in attrs if name == "placeholder" and value)

    def handle_endtag(self, tag):
        self._hidden -= tag in HIDDEN

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data)


def english_texts(language):
    """(msgid as a pattern, whether it is short, msgid) for each entry that the language writes differently from English."""
    for message in catalogue(language):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not message.id or ids == strings:
            continue
        for msgid in ids:
            literal = [part for part in PLACEHOLDER.split(msgid) if part]
            if not any(c.isalpha() for c in "".join(literal)):
                continue
            pattern = ".{0,200}?".join(re.escape(part) for part in literal)
            short = len(msgid.split()) <= 2
            yield re.compile(rf"(?<!\w){pattern}(?!\w)" if msgid[0].isalnum() else pattern), short, msgid


def pages(app, browser):
    """Every page (GET route) of the app the browser's user may open, with its arguments filled in."""
    user = browser.get("/conversations?start=2026-09-20&end=2026-11-20").text
    found = re.search(r'href="/conversations/([^"?]+)', user)
    howtos = sorted(app.extensions["coach"]["knowledge"].get().howtos)
    arguments = {**ARGUMENTS, "user_id": found.group(1) if found else "nobody", "howto_id": howtos[0]}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        missing = rule.arguments - set(arguments)
        assert not missing, f"{rule.rule}: add a value for {missing} to ARGUMENTS so the page is walked"
        path = rule.build({name: arguments[name] for name in rule.arguments})[1]
        yield f"{path}?start=2026-09-20&end=2026-11-20&objection=objection_no_time"


def in_language(browser, language):
    browser.options["headers"] = {**browser.options["headers"], "Accept-Language": f"{language};q=0.9"}
    return browser


@pytest.mark.parametrize("name", ["luca", "tina", "anna"])
def test_every_page_is_translated_for_every_role(app, name):
    english = in_language(Browser(app).login(name), "en")
    others = {language: in_language(Browser(app).login(name), language) for language in TRANSLATED}
    texts = {language: list(english_texts(language)) for language in TRANSLATED}
    walked = 0
    for path in pages(app, english):
        source = english.get(path)
        if source.status_code != 200 or source.mimetype != "text/html":
            continue  # not for this role (its refusal is message.html, walked elsewhere), or data for a script
        walked += 1
        english_page = visible_text(source.text)
        for language, browser in others.items():
            response = browser.get(path)
            assert response.status_code == 200 and f'<html lang="{language}">' in response.text, path
            page = visible_text(response.text)
            # Data (messages, team names) is the same in both pages: a text shown in English as often
            # as on the English page is a text that was not translated.
            untranslated = [
                msgid
                for pattern, short, msgid in texts[language]
                if shown(pattern, short, page) >= shown(pattern, short, english_page) > 0
            ]
            assert not untranslated, f"{language} {path}: {untranslated}"
    assert walked >= {"luca": 3, "tina": 9, "anna": 11}[name]


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_catalogue_entry_is_empty_or_fuzzy_and_placeholders_are_kept(language):
    entries = [message for message in catalogue(language) if message.id]
    assert len(entries) > 150
    for message in entries:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings) and not message.fuzzy, message.id
        assert all(sorted(PLACEHOLDER.findall(s)) == sorted(PLACEHOLDER.findall(ids[-1])) for s in strings), message.id


def test_every_text_of_the_code_and_templates_is_in_the_catalogues():
    """`make messages` keeps them in step; a new text without a translation fails here."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    in_code = {
        message[2]
        for message in extract_from_dir(ROOT / "bot" / "dashboard", method_map, options_map, keywords=keywords)
        if message[2]
    }
    for language in TRANSLATED:
        ids = {message.id for message in catalogue(language) if message.id}
        assert not in_code - ids, f"{language}: not in the catalogue: {sorted(in_code - ids, key=str)}"


def test_the_language_follows_the_browser_then_the_profile(app):
    browser = in_language(Browser(app).login("luca"), "it")
    browser.options["headers"]["Accept-Language"] = "it-IT,it;q=0.9,en;q=0.5"
    assert '<html lang="it">' in browser.get("/").text
    browser.options["headers"]["Accept-Language"] = "de-DE,de;q=0.9"
    assert '<html lang="en">' in browser.get("/").text, "a language the dashboard does not have: English"
    try:
        response = browser.post("/language", {"language": "es", "next": "/answers?start=2026-09-20"})
        assert response.status_code == 302 and response.headers["Location"] == "/answers?start=2026-09-20"
        browser.options["headers"]["Accept-Language"] = "it"
        page = browser.get("/").text
        assert '<html lang="es">' in page and "Objeciones por semana" in page, "the profile wins over the browser"
        assert '<option value="es" lang="es" selected>Español</option>' in page
        assert '<html lang="es">' in Browser(app).login("luca").get("/").text, "kept in the profile, not the session"
        browser.post("/language", {"language": "", "next": "/"})
        assert '<html lang="it">' in browser.get("/").text, "cleared: the browser's language again"
    finally:
        app.extensions["coach"]["users"].set_language("luca", None)


def test_a_language_that_is_not_offered_is_refused_with_a_reason(app):
    browser = in_language(Browser(app).login("luca"), "it")
    response = browser.post("/language", {"language": "xx", "next": "//evil.example"})
    assert response.status_code == 400 and "Scegli una delle lingue proposte" in html.unescape(response.text)
    assert app.extensions["coach"]["users"].get("luca").language is None
    # A page elsewhere is never where the chooser returns.
    response = browser.post("/language", {"language": "", "next": "//evil.example"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert Browser(app).post("/language", {"language": "it"}).status_code == 302  # to the login page


@pytest.mark.parametrize(
    ("language", "four_p", "other_languages"), [("it", "Percezione", ("en", "es")), ("es", "Percepción", ("en", "it"))]
)
def test_objection_names_and_advice_are_in_the_page_language(app, kb, language, four_p, other_languages):
    response = in_language(Browser(app).login("luca"), language).get(
        "/objections?start=2026-09-20&end=2026-11-20&objection=objection_no_time"
    )
    page = html.unescape(response.text)
    answers = kb.entry("objection_no_time").answers
    assert answers[language].topic in page and answers[language].for_leads in page and four_p in page
    assert all(answers[other].for_leads not in page for other in other_languages)
    # What the charts write (legends, objection names) comes in the page's language too.
    texts = json.loads(re.search(r'id="chart-texts">(.*?)</script>', response.text).group(1))
    assert texts["language"] == language and texts["topics"]["objection_no_time"] == answers[language].topic
    assert texts["messages"] == {"it": "messaggi", "es": "mensajes"}[language]


def test_dates_and_numbers_are_written_the_locales_way(app):
    """The same conversation list and totals: months and separators as each language writes them."""
    period = "start=2026-09-20&end=2026-11-20"
    written = {}
    for language in ("it", "es", "en"):
        browser = in_language(Browser(app).login("tina"), language)
        written[language] = (browser.get(f"/conversations?{period}").text, browser.get(f"/?{period}").text)
    assert re.search(r"<td>\d{1,2} nov 2026,? \d{1,2}:\d\d</td>", written["it"][0])
    assert re.search(r"<td>\d{1,2} nov 2026,? \d{1,2}:\d\d</td>", written["es"][0])
    assert re.search(r"<td>Nov \d{1,2}, 2026,? \d{1,2}:\d\d\s?[AP]M</td>", written["en"][0])
    totals = {
        language: re.search(r'id="total-messages">([^<]+)<', pages[1]).group(1) for language, pages in written.items()
    }
    messages = int(totals["en"].replace(",", ""))
    assert messages >= 1000 and totals == {language: format_decimal(messages, locale=language) for language in totals}
    assert totals["it"] != totals["en"], "a thousands separator of its own"
