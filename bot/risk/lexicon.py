"""The schema of `content/risk/lexicon.yaml` and its loader; a broken file names the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.content.pack import ContentError, load_model

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
    fiction: Phrases
    reassurance: Phrases
    stops: Phrases


class Intent(_Strict):
    reach: Reach
    phrases: Phrases


class Family(_Strict):
    """A family of risk phrases and the tier it means on its own (C-SSRS: a plan is urgent, a wish is concern)."""

    level: Literal["urgent", "concern", "none"]  # none: a sign only in company ("送给了" + "说不想活了")
    urgent_with: list[Name] = []  # urgency groups that make it urgent ("想死" + "现在")
    urgent_with_method: bool = False  # a method named beside it makes it urgent ("想死" + "农药")
    urgent_with_risk: bool = False  # another family beside it makes it urgent (giving things away + a wish to die)
    phrases: Phrases


class Past(_Strict):
    unless: list[Name]  # urgency groups that keep a message urgent despite a past word
    words: Phrases


class Model(_Strict):
    """The character n-gram layer learnt from `examples`, and the scores at which it raises a level."""

    examples: Annotated[str, StringConstraints(pattern=r"^[\w.-]+\.tsv$")]
    ngrams: Annotated[int, Field(ge=1, le=5)]
    concern_above: float
    urgent_above: float


class Method(_Strict):
    use: Phrases
    names: Phrases


class Lexicon(_Strict):
    version: Literal[1]
    gap: Gap
    emoji: dict[Annotated[str, StringConstraints(min_length=1)], EmojiWords]
    spellings: dict[Phrase, Phrase]
    not_risk: Phrases
    negation: Negation
    intent: Intent
    risks: Annotated[dict[Name, Family], Field(min_length=1)]
    methods: Annotated[dict[Name, Method], Field(min_length=1)]
    urgency: Annotated[dict[Name, Phrases], Field(min_length=1)]
    taking: Phrases
    past: Past
    model: Model


def load_lexicon(path: Path) -> Lexicon:
    return cast(Lexicon, load_model(path.parent, path.name, Lexicon))


def load_examples(path: Path) -> list[tuple[str, str]]:
    """(level, text) from a `level<TAB>text` file; `#` starts a comment line. A bad row names the file and line."""
    try:
        rows = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ContentError(f"{path}: file is missing") from None
    examples = []
    for number, row in enumerate(rows, 1):
        if not row or row.startswith("#"):
            continue
        level, tab, text = row.partition("\t")
        if not tab or level not in ("urgent", "concern", "none") or not text.strip():
            raise ContentError(f"{path}:{number}: expected urgent, concern or none, a tab, then the text")
        examples.append((level, text))
    return examples
