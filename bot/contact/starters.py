"""Conversation starters for a parent's call: the pack schema (`content/contact/starters.yaml`) and the choice.

A starter belongs to a theme. The week's check-in may bring one theme forward (school, feelings, sleep) without
the parent ever seeing why: every starter is an everyday question a parent could ask any week.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from bot.content.pack import Localised, _Strict, load_model
from bot.guidance.content import AgeBand
from bot.i18n import SUPPORTED_LANGUAGES

STARTERS_FILE = Path("contact") / "starters.yaml"
TEXT_MAX = 160
PER_CALL = 3
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


class Theme(StrEnum):
    EVERYDAY = "everyday"
    SCHOOL = "school"
    FEELINGS = "feelings"
    SLEEP = "sleep"


# Which check-in answers bring a theme forward: question id -> the answers that do. Lower in the list wins less.
THEME_SIGNALS: tuple[tuple[Theme, str, frozenset[str]], ...] = (
    (Theme.FEELINGS, "mood", frozenset({"sometimes", "often"})),
    (Theme.FEELINGS, "withdrawn", frozenset({"sometimes", "often"})),
    (Theme.SCHOOL, "school", frozenset({"sometimes", "often"})),
    (Theme.SLEEP, "sleep_eating", frozenset({"sometimes", "often"})),
)


class Starter(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    ages: list[AgeBand] = Field(min_length=1)
    theme: Theme
    text: Localised

    @field_validator("text")
    @classmethod
    def _plain_and_short(cls, value: Localised) -> Localised:
        for language in SUPPORTED_LANGUAGES:
            text = value.get(language)
            if _TAG.search(text):
                raise ValueError(f"{language}: plain text only")
            if len(text) > TEXT_MAX:
                raise ValueError(f"{language}: {len(text)} characters, at most {TEXT_MAX}")
        return value


class StarterContent(_Strict):
    version: str
    starters: list[Starter]

    @model_validator(mode="after")
    def _complete(self) -> StarterContent:
        ids = [starter.id for starter in self.starters]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate starter ids {duplicates}")
        for band in AgeBand:
            everyday = [s for s in self.starters if band in s.ages and s.theme is Theme.EVERYDAY]
            if len(everyday) < PER_CALL:
                raise ValueError(f"age band {band.value} needs at least {PER_CALL} everyday starters")
        return self


def load_starters(content_dir: Path) -> StarterContent:
    return load_model(content_dir, str(STARTERS_FILE), StarterContent)


def themes_from(answers: Mapping[str, str] | None) -> list[Theme]:
    """The themes a check-in's answers bring forward, most important first; none without a recent check-in."""
    found: list[Theme] = []
    for theme, question, options in THEME_SIGNALS:
        if answers and answers.get(question) in options and theme not in found:
            found.append(theme)
    return found


def choose_starters(content: StarterContent, band: AgeBand, themes: Sequence[Theme], turn: int) -> list[Starter]:
    """One starter of each theme brought forward (at most one less than PER_CALL), then everyday ones.

    `turn` (e.g. the call's id) rotates through the pack so that the same three do not come every week.
    """
    suitable = [starter for starter in content.starters if band in starter.ages]
    chosen: list[Starter] = []
    for theme in themes[: PER_CALL - 1]:
        pool = [starter for starter in suitable if starter.theme is theme]
        if pool:
            chosen.append(pool[turn % len(pool)])
    everyday = [starter for starter in suitable if starter.theme is Theme.EVERYDAY]
    for offset in range(len(everyday)):
        if len(chosen) == PER_CALL:
            break
        candidate = everyday[(turn + offset) % len(everyday)]
        if candidate not in chosen:
            chosen.append(candidate)
    return chosen


def starter_by_id(content: StarterContent, starter_id: str) -> Starter | None:
    return next((starter for starter in content.starters if starter.id == starter_id), None)
