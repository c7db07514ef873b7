"""Text normalisation before risk matching: one canonical form for what people actually type.

Messages and lexicon phrases go through the same steps, so a deployer can write a phrase in traditional characters,
full-width forms or with an apostrophe and it still matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import cache

import opencc

CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{CJK}]")
# What people put between characters to dodge a filter or for emphasis: "想 死", "想.死", "想*死".
_FILLER = r"\s.·•*\-_~|/\\'\"`"
_FILLER_RUN = re.compile(f"([{_FILLER}]+)")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_APOSTROPHE = re.compile(r"(?<=[a-z])'(?=[a-z])")  # "don't" → "dont": one spelling for lexicon and message
_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")  # "self-harm" → "self harm"
_SPACES = re.compile(r"\s+")
_VARIATION_SELECTORS = re.compile("[\ufe0e\ufe0f]")
_NOT_LETTERS_AT_END = re.compile(r"[\W_]+$")
_NOT_LETTERS_AT_START = re.compile(r"^[\W_]+")


@cache
def _t2s() -> opencc.OpenCC:
    # tw2s rather than t2s: it also maps variants people type every day (活著 → 活着); simplified text stays as it is.
    return opencc.OpenCC("tw2s.json")


def normalise_text(text: str) -> str:
    """NFKC, traditional → simplified, lower case, one spelling of apostrophes, fillers between characters gone."""
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width joiners and the like
    text = unicodedata.normalize("NFKC", text)
    text = _t2s().convert(text).casefold().translate(_QUOTES)
    text = _APOSTROPHE.sub("", text)
    text = _HYPHEN.sub(" ", text)
    return _SPACES.sub(" ", _join_spaced_characters(text)).strip()


def _join_spaced_characters(text: str) -> str:
    """Drop fillers between Chinese characters when a side is a lone character ("不 想 活", "想.死").

    Between two longer runs a space is how many people write a comma ("他没吃饭 想死"), so it becomes one: that keeps
    a negation in one clause from reaching into the next.
    """
    parts = _FILLER_RUN.split(text)
    if len(parts) == 1:
        return text
    out = [parts[0]]
    for i in range(1, len(parts) - 1, 2):
        left, filler, right = parts[i - 1], parts[i], parts[i + 1]
        if left and right and _CJK_CHAR.fullmatch(left[-1]) and _CJK_CHAR.fullmatch(right[0]):
            lone = _cjk_run(left[::-1]) == 1 or _cjk_run(right) == 1
            out.append("" if lone else ",")
        else:
            out.append(filler)
        out.append(right)
    return "".join(out)


def _whole_words(key: str) -> str:
    """A pinyin or English key matches whole words only: "si" is no part of "sister"."""
    pattern = re.escape(key)
    if re.match("[a-z0-9]", key):
        pattern = "(?<![a-z0-9])" + pattern
    if re.search("[a-z0-9]$", key):
        pattern += "(?![a-z0-9])"
    return pattern


def _cjk_run(text: str) -> int:
    run = 0
    for ch in text:
        if not _CJK_CHAR.fullmatch(ch):
            break
        run += 1
    return run


class Normaliser:
    """Maps emoji to words in the language around them, normalises the text, then writes other spellings one way."""

    def __init__(self, emoji: Mapping[str, tuple[str, str]], spellings: Mapping[str, str]) -> None:
        # emoji → (Chinese word, English word); variation selectors differ between keyboards, so they are dropped.
        self._emoji = {_VARIATION_SELECTORS.sub("", key): words for key, words in emoji.items()}
        keys = sorted(self._emoji, key=len, reverse=True)
        self._emoji_re = re.compile("|".join(map(re.escape, keys))) if keys else None
        # Homophone typos, dialect words and pinyin (自刹, 佢, xiang si) → the one spelling the phrases are written in.
        self._spellings = {normalise_text(key): normalise_text(value) for key, value in spellings.items()}
        self._spellings_re = re.compile(
            "|".join(_whole_words(key) for key in sorted(self._spellings, key=len, reverse=True)) or r"(?!)"
        )

    def __call__(self, text: str) -> str:
        if self._emoji_re is not None:
            text = self._emoji_re.sub(lambda m: self._word(m, text), _VARIATION_SELECTORS.sub("", text))
        return self._spellings_re.sub(lambda m: self._spellings[m.group()], normalise_text(text))

    def _word(self, match: re.Match[str], text: str) -> str:
        chinese, english = self._emoji[match.group()]
        # The nearest letter before the emoji (or after it, at the start) says which language the sender writes.
        before = _NOT_LETTERS_AT_END.sub("", text[: match.start()])
        neighbour = before[-1:] or _NOT_LETTERS_AT_START.sub("", text[match.end() :])[:1]
        return chinese if _CJK_CHAR.fullmatch(neighbour or "a") else f" {english} "
