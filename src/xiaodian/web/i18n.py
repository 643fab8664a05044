"""One translation mechanism for every string on screen: gettext catalogs (Babel .po files).

Message ids are English; ``locale/zh`` translates them. Chinese is the default language. The .po files
are read at start-up (no compile step), so a fresh checkout runs without building .mo files.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


class _CatalogTranslations(Translations):
    def __init__(self, catalog):
        super().__init__()
        self._catalog = {}
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            if isinstance(message.id, tuple):
                for index, text in enumerate(message.string):
                    self._catalog[(message.id[0], index)] = text
            else:
                self._catalog[message.id] = message.string
        self.plural = catalog.plural_func


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        return _CatalogTranslations(read_po(handle, locale=language))


def gettext(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


_ = gettext


def pick_language(cookie: str | None, accept: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    if cookie in LANGUAGES:
        return cookie
    return default
