"""Every message a person can read exists in Simplified Chinese and English, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.config import PROJECT_ROOT
from bot.i18n import LOCALES_DIR, gettext_for, guess_language

PLACEHOLDER = re.compile(r"\{(\w*)\}")
TAG = re.compile(r"</?\w+")


def extracted_messages() -> set[str]:
    found = extract_from_dir(PROJECT_ROOT / "bot", method_map=[("**.py", "python")], keywords={"_": None, "N_": None})
    return {message for _file, _line, message, _comments, _context in found if isinstance(message, str)}


def chinese_catalog():
    with Path(LOCALES_DIR / "zh_Hans" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return {m.id: m for m in read_po(po_file) if m.id}


def test_every_message_in_the_code_has_a_chinese_translation() -> None:
    catalog = chinese_catalog()
    untranslated = sorted(m for m in extracted_messages() if m not in catalog or not catalog[m].string)
    assert untranslated == []


def test_translations_keep_placeholders_and_markup() -> None:
    for message in chinese_catalog().values():
        assert sorted(PLACEHOLDER.findall(message.id)) == sorted(PLACEHOLDER.findall(message.string)), message.id
        assert sorted(TAG.findall(message.id)) == sorted(TAG.findall(message.string)), message.id
        assert not message.fuzzy, message.id


def test_chinese_is_the_default_and_english_is_chosen_from_telegram() -> None:
    assert guess_language(None) == "zh_Hans"
    assert guess_language("zh-hans") == "zh_Hans"
    assert guess_language("en-GB") == "en"
    assert gettext_for("zh_Hans")("✅ I agree") == "✅ 我同意"
    assert gettext_for("en")("✅ I agree") == "✅ I agree"


def test_no_message_hides_inside_an_f_string() -> None:
    """Extraction cannot see `_("…")` inside an f-string, so such a message would stay in English."""
    hidden = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}"
        for path in (PROJECT_ROOT / "bot").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\{_\(['\"]", line)
    ]
    assert hidden == []
