"""Loads and validates the content pack. A broken file stops start-up with a message naming file and field."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.i18n import SUPPORTED_LANGUAGES


class ContentError(Exception):
    """The content pack is missing a file or a field, or holds a value out of range."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localised(_Strict):
    """A text in every supported language."""

    zh_Hans: str
    en: str

    def get(self, language: str) -> str:
        return getattr(self, language)

    @field_validator("zh_Hans", "en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class PhoneNumber(_Strict):
    number: str
    name: Localised
    hours: Localised | None = None


class HotlineRegion(_Strict):
    name: Localised
    emergency: list[PhoneNumber]
    hotlines: list[PhoneNumber]


class HotlineFile(_Strict):
    regions: dict[str, HotlineRegion]


class ConsentText(_Strict):
    version: str
    text: Localised

    @field_validator("text")
    @classmethod
    def _fits_a_message(cls, value: Localised) -> Localised:
        for language in SUPPORTED_LANGUAGES:
            if len(value.get(language)) > 3500:
                raise ValueError(f"{language} text is longer than one Telegram message allows")
        return value


class ConsentFile(_Strict):
    caregiver_terms: ConsentText
    parent_terms: ConsentText


class ContentPack(_Strict):
    hotlines: HotlineFile
    consent: ConsentFile

    def hotline_region(self, key: str) -> HotlineRegion:
        return self.hotlines.regions[key]


def load_model(directory: Path, filename: str, model: type[BaseModel]) -> BaseModel:
    """One file of the content pack, validated by `model`; a ContentError names the file and the field."""
    path = directory / filename
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContentError(f"{path}: file is missing") from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML ({exc})") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(top)'}: {error['msg']}" for error in exc.errors()
        )
        raise ContentError(f"{path}: {problems}") from exc


def load_content_pack(directory: Path) -> ContentPack:
    return ContentPack(
        hotlines=load_model(directory, "hotlines.yaml", HotlineFile),
        consent=load_model(directory, "consent.yaml", ConsentFile),
    )


@lru_cache
def cached_content_pack(directory: Path) -> ContentPack:
    return load_content_pack(directory)
