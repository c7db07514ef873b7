"""Translations through gettext catalogs (Babel). Source strings are English; Simplified Chinese is the default.

Catalogs are `.po` files compiled in memory when first used, so no build step can leave a stale `.mo` behind.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LANGUAGE = "zh_Hans"
SUPPORTED_LANGUAGES = ("zh_Hans", "en")
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Marks a string for translation where it is defined; it is translated where it is shown."""
    return message


@lru_cache
def translations(language: str) -> gettext.NullTranslations:
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(language: str | None) -> Gettext:
    return translations(normalise_language(language)).gettext


def normalise_language(language: str | None) -> str:
    return language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def guess_language(telegram_language_code: str | None) -> str:
    """Telegram's language_code, e.g. "en-GB" or "zh-hans", mapped to a supported language."""
    if telegram_language_code and telegram_language_code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE
