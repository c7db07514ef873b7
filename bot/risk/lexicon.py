"""The schema of `content/risk/lexicon.yaml` and its loader; a broken file names the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.content.pack import load_model

Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Phrases = Annotated[list[Phrase], Field(min_length=1)]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*$")]
Reach = Annotated[int, Field(ge=0, le=10)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Gap(_Strict):
    """How many characters `...` inside a phrase may stand for, next to Chinese and next to English words."""

    cjk: Annotated[int, Field(ge=1, le=20)]
    latin: Annotated[int, Field(ge=1, le=40)]


class EmojiWords(_Strict):
    zh_Hans: Phrase
    en: Phrase


class Negation(_Strict):
    reach: Reach
    words: Phrases
    stops: Phrases


class Intent(_Strict):
    reach: Reach
    phrases: Phrases


class Risks(_Strict):
    suicidal_thought: Phrases
    self_harm: Phrases
    abuse: Phrases
    missing: Phrases


class Method(_Strict):
    use: Phrases
    names: Phrases


class Lexicon(_Strict):
    version: Literal[1]
    gap: Gap
    emoji: dict[Annotated[str, StringConstraints(min_length=1)], EmojiWords]
    not_risk: Phrases
    negation: Negation
    intent: Intent
    risks: Risks
    methods: Annotated[dict[Name, Method], Field(min_length=1)]
    urgency: Annotated[dict[Name, Phrases], Field(min_length=1)]
    taking: Phrases


def load_lexicon(path: Path) -> Lexicon:
    return cast(Lexicon, load_model(path.parent, path.name, Lexicon))
