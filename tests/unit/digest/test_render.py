"""The digest in words and pictures: PNG charts, the e-mail's HTML with CID images and its
parts, the self-contained HTML file, the chat text, and it/es/en without an untranslated text."""

import base64
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from PIL import Image

from bot import i18n
from bot.digest import render
from bot.digest.figures import Objection, Week, WeekFigures
from tests.unit.digest.conftest import WEEK

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DIGEST = Path(render.__file__).parent


def _decoded(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_the_charts_are_png_images_with_ink(digests):
    for name, png in digests["it"].charts.items():
        image = _decoded(png).convert("L")
        assert image.size == (640, 320), name
        assert image.getextrema()[0] < 100, f"{name} is blank"


def test_the_email_shows_its_charts_by_content_id(digests):
    message = digests["it"].email("coach@example.com", ("lead@example.com", "ceo@example.com"))
    assert message["To"] == "lead@example.com, ceo@example.com" and "Riepilogo settimanale" in message["Subject"]
    plain, related = message.get_payload()
    assert plain.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    html, *images = related.get_payload()
    cids = re.findall(r'<img src="cid:([^"]+)"', html.get_content())
    assert len(cids) == 2 and len(images) == 2
    for cid, image in zip(cids, images, strict=True):
        assert image["Content-ID"] == f"<{cid}>" and image.get_content_type() == "image/png"
        _decoded(image.get_content())


def test_the_html_file_carries_its_charts_as_data_uris(digests):
    page = digests["en"].html_file()
    sources = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(sources) == 2 and "cid:" not in page
    for source in sources:
        _decoded(base64.b64decode(source))


def test_the_chat_text_is_a_few_lines_and_names_objections_in_the_digests_language(digests, kb):
    for language, digest in digests.items():
        lines = digest.chat_text().splitlines()
        assert 3 <= len(lines) <= 5
        top = digest.figures.objections[0]
        assert kb.entry(top.intent).answers[language].topic in lines[2]
    assert digests["it"].chat_text().startswith("Riepilogo settimanale: tutta l'azienda, Settimana 46, 09–15 nov 2026")
    assert digests["es"].chat_text().startswith("Resumen semanal: toda la empresa, Semana 46, 9–15 nov 2026")


def test_the_rising_objection_comes_with_the_documents_advice_for_leads(digests, kb):
    for language, digest in digests.items():
        advice = kb.entry(digest.figures.rising["intent"]).answers[language].for_leads
        assert _escaped(advice) in digest.html_file()


def _escaped(text):
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
    )


def _message_ids():
    """Every text the digest translates: the template's and the module's."""
    found = set()
    for path, method in ((DIGEST / "digest.html", "jinja2.ext:babel_extract"), (DIGEST / "render.py", "python")):
        for _, message, _, _ in extract_from_file(method, str(path), keywords={"_": None, "gettext": None}):
            found.add(message)
    return found


@pytest.mark.parametrize("language", ["it", "es"])
def test_every_text_is_translated(language):
    ids = _message_ids()
    assert len(ids) > 25
    with i18n.catalogue_path(language, render.DOMAIN).open("rb") as po_file:
        catalogue = read_po(po_file)
    missing = sorted(i for i in ids if i not in catalogue or not catalogue[i].string or catalogue[i].fuzzy)
    assert missing == []
    for message in catalogue:  # the same placeholders, or the digest would raise while formatting
        if message.id:
            assert set(re.findall(r"%\((\w+)\)s", message.id)) == set(re.findall(r"%\((\w+)\)s", message.string))


@pytest.mark.parametrize("language", ["it", "es"])
def test_no_english_text_is_left_in_a_translated_digest(digests, language):
    page = digests[language].html_file()
    for english in ("Top objections", "Mood per week", "Weekly digest", "fewer than 5 people", "This week"):
        assert english not in page
    assert f'<html lang="{language}">' in page


def _figures(**changes):
    base = dict(
        week=WEEK, team=None, messages=1234, people=56,
        objections=[Objection("objection_no_time", 7, None)], hidden_objections=2,
        mood=[{"week": "2026-11-09", "average": None}], rising=None, not_helpful=[],
        not_understood=[{"intent": "nlu_fallback", "count": None}],
    )  # fmt: skip
    return WeekFigures(**{**base, **changes})


def test_hidden_figures_are_written_fewer_than_5_people_never_zero(kb):
    digest = render.Digest(_figures(), "en", kb)
    page = digest.html_file()
    assert page.count("fewer than 5 people") >= 4  # week before, change, mood, not understood (+ the footnote)
    assert "1,234 messages from 56 people" in page
    assert "Other objections resting on fewer than 5 people each: 2" in page
    assert "No objection rose" in page and "No answer was marked" in page
    assert "Not understood" not in digest.chat_text()  # a hidden count is not summed into a shown one
    assert "1.234 messaggi da 56 persone" in render.Digest(_figures(), "it", kb).html_file()


def test_a_team_name_is_escaped_in_the_html(kb):
    page = render.Digest(_figures(team="<b>Nord</b>"), "en", kb).html_file()
    assert "team &lt;b&gt;Nord&lt;/b&gt;" in page and "<b>Nord" not in page


def test_a_week_without_objections_shows_the_mood_in_the_chat(kb):
    digest = render.Digest(_figures(objections=[], hidden_objections=0), "en", kb)
    assert digest.chat_chart() == digest.charts["mood"]
    assert "No objection this week rests on 5 or more people." in digest.html_file()
    assert Week.parse("2026-W46") == digest.figures.week
