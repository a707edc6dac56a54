"""The coach's message catalogues: gettext `.po` files a translator edits, one per language
and domain, in `bot/translations/<language>/LC_MESSAGES/<domain>.po` (domains: `dashboard`
for the dashboard's pages, `digest` for the weekly digest).

The catalogues are compiled in memory when first used, so there is no build step and no
compiled `.mo` file to keep in step with its `.po`; a missing catalogue means English (the
source language of every message id).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("it", "es", "en")
SOURCE_LANGUAGE = "en"
CATALOGUES = Path(__file__).parent / "translations"


def catalogue_path(language: str, domain: str) -> Path:
    return CATALOGUES / language / "LC_MESSAGES" / f"{domain}.po"


def translations(language: str, domain: str) -> NullTranslations:
    """The compiled catalogue of `domain` in `language`; English (no translation) when absent."""
    path = catalogue_path(language, domain)
    if language == SOURCE_LANGUAGE or not path.is_file():
        return NullTranslations()
    # The modification time is part of the key: a translator's edit is read without a restart.
    return _compiled(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _compiled(path: Path, modified: int) -> Translations:
    with path.open("rb") as po_file:
        catalogue = read_po(po_file)
    buffer = io.BytesIO()
    # Fuzzy entries are a translator's unchecked guesses: they are left out, as msgfmt does.
    write_mo(buffer, catalogue, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=path.stem)
