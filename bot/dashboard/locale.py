"""The dashboard's language: which one a page is in, its translations, and the chooser.

A page is in the logged-in user's chosen language (kept in their profile), else the browser's
best match (Accept-Language) among it, es and en, else English. The texts come from the
`dashboard` catalogues of `bot.i18n` (`.po` files a translator edits; `make messages` refreshes
them from the code and templates), through Flask-Babel, which also formats dates and numbers in
the page's locale. The chooser (a POST from every page's header to `auth.choose_language`) saves
the choice in the user's profile (`save_choice`), or clears it to follow the browser again.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, abort, g, request
from flask_babel import Babel, Domain, format_date, format_time, get_locale, gettext

from bot import i18n
from bot.dashboard.services import services
from bot.dashboard.users import ROLE_NAMES

DOMAIN = "dashboard"
FOLLOW_THE_BROWSER = ""  # the chooser's value that clears the saved choice
# Each language in itself (Italiano, Español, English): whoever cannot read the page can still find theirs.
LANGUAGE_NAMES = {code: str(Locale.parse(code).get_display_name(code)).capitalize() for code in i18n.LANGUAGES}


class CatalogueDomain(Domain):
    """The `dashboard` catalogue of `bot.i18n`, compiled in memory from its `.po`: no `.mo` files."""

    def __init__(self) -> None:
        super().__init__(domain=DOMAIN)

    def get_translations(self) -> NullTranslations:
        return i18n.translations(page_language(), DOMAIN)


class _CatalogueBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return CatalogueDomain()


def init_app(app: Flask) -> None:
    """Translations, locale formats, the `_`/`ngettext` template functions and the pages' language."""
    _CatalogueBabel(app, locale_selector=select_language, default_domain=DOMAIN)
    app.context_processor(_template_context)
    app.add_template_global(when, "when")
    app.add_template_global(chart_texts, "chart_texts")


def select_language() -> str:
    """The user's chosen language, else the browser's best among ours, else the source language."""
    user = g.get("user")
    if user is not None and user.language in i18n.LANGUAGES:
        return str(user.language)
    return request.accept_languages.best_match(i18n.LANGUAGES, default=i18n.SOURCE_LANGUAGE) or i18n.SOURCE_LANGUAGE


def page_language() -> str:
    """The language of the page being rendered (English outside a request)."""
    locale = get_locale()
    return locale.language if locale is not None else i18n.SOURCE_LANGUAGE


def when(moment: dt.datetime) -> str:
    """A date and time (UTC, as the log keeps them) as the page's locale writes them."""
    return f"{format_date(moment, 'medium', rebase=False)} {format_time(moment, 'short', rebase=False)}"


def chart_texts() -> dict[str, object]:
    """What the charts write (legends, axis units, objection names), in the page's language, for charts.js."""
    language = page_language()
    return {
        "language": language,
        "messages": gettext("messages"),
        "that_helped": gettext("that helped"),
        "moods": {"negative": gettext("negative"), "neutral": gettext("neutral"), "positive": gettext("positive")},
        "topics": dict(services()["knowledge"].get().topics(language)),
    }


def _template_context() -> dict[str, object]:
    """The page's language (for `<html lang>` and the texts of the knowledge base), the roles' names
    and the chooser's options."""
    return {
        "page_language": page_language(),
        "role_names": ROLE_NAMES,
        "language_choices": LANGUAGE_NAMES.items(),
    }


def save_choice(chosen: str) -> None:
    """Saves the chooser's value in the logged-in user's profile: a language, or the browser's (cleared)."""
    if chosen != FOLLOW_THE_BROWSER and chosen not in i18n.LANGUAGES:
        abort(400, gettext("Choose one of the languages offered, or the browser's language."))
    services()["users"].set_language(g.user.username, chosen or None)
