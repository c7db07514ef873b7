"""Parenting guidance content: topics, tips and the check-in answers that call for a tip, with their schema.

Everything lives in `content/guidance/`: `topics.yaml` (topics and the targeted-tip rules) and one or more tip
files under `tips/`. Tips are plain text (the adapter escapes them), short enough for a voice caption, in every
supported language; optional audio files are checked to exist. No Telegram, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import cast

from pydantic import Field, field_validator, model_validator

from bot.checkins.questionnaire import LABEL_MAX, ContentId, Questionnaire
from bot.content.pack import ContentError, Localised, _Strict, load_model
from bot.i18n import SUPPORTED_LANGUAGES

GUIDANCE_DIR = Path("guidance")
TOPICS_FILE = "topics.yaml"
TIPS_DIR = "tips"

TEXT_MAX = 600
ACTIVITY_MAX = 300
TITLE_MAX = {"zh_Hans": 24, "en": 40}
# A tip with audio goes out as a voice message with the text as its caption, which Telegram caps at 1024.
CAPTION_MAX = 1024
# Room kept for what the renderer adds around the title, text and activity: an emoji, labels, blank lines.
RENDER_ALLOWANCE = 60
AUDIO_SUFFIXES = (".ogg", ".oga", ".opus")
# Plain text only: anything that looks like a tag is a mistake (it would be shown escaped, as "<b>").
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


class AgeBand(StrEnum):
    TODDLER = "0-3"
    PRESCHOOL = "3-6"
    PRIMARY = "6-12"
    TEEN = "12-16"


class Track(StrEnum):
    CAREGIVER = "caregiver"
    PARENT = "parent"


def band_for_age(age: int) -> AgeBand:
    """Older teenagers still get the 12–16 tips: it is the closest the pack has."""
    if age < 3:
        return AgeBand.TODDLER
    if age < 6:
        return AgeBand.PRESCHOOL
    if age < 12:
        return AgeBand.PRIMARY
    return AgeBand.TEEN


def _plain(value: Localised, limit: dict[str, int] | int) -> Localised:
    for language in SUPPORTED_LANGUAGES:
        text = value.get(language)
        if _TAG.search(text):
            raise ValueError(f"{language}: plain text only, found {_TAG.search(text).group(0)!r}")
        most = limit[language] if isinstance(limit, dict) else limit
        if len(text) > most:
            raise ValueError(f"{language}: {len(text)} characters, at most {most} fit")
    return value


class AudioFiles(_Strict):
    """Recordings of a tip, per language, relative to `content/guidance/`; any language may be left out."""

    zh_Hans: str | None = None
    en: str | None = None

    @field_validator("zh_Hans", "en")
    @classmethod
    def _ogg(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().endswith(AUDIO_SUFFIXES):
            raise ValueError(f"{value!r}: Telegram plays voice messages from OGG/Opus files ({AUDIO_SUFFIXES})")
        return value

    def get(self, language: str) -> str | None:
        return getattr(self, language)


class Topic(_Strict):
    id: ContentId
    track: Track
    label: Localised  # a button in the Tips menu

    @field_validator("label")
    @classmethod
    def _short_button(cls, value: Localised) -> Localised:
        return _plain(value, LABEL_MAX)


class TargetRule(_Strict):
    """When a check-in answer is one of `options` of `question`, the caregiver gets a tip on `topic`.

    `tips` narrows the choice to those tips of the topic (e.g. calming-down tips for temper)."""

    question: ContentId
    options: list[ContentId] = Field(min_length=1)
    topic: ContentId
    tips: list[ContentId] = Field(default_factory=list)


class TopicsFile(_Strict):
    topics: list[Topic] = Field(min_length=1)
    targeted: list[TargetRule] = Field(default_factory=list)


class Tip(_Strict):
    id: ContentId
    ages: list[AgeBand] = Field(min_length=1)
    topics: list[ContentId] = Field(min_length=1)
    title: Localised
    text: Localised
    activity: Localised | None = None  # "try this today"; a tip with one asks "did you try it?" the next day
    audio: AudioFiles | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, value: Localised) -> Localised:
        return _plain(value, TITLE_MAX)

    @field_validator("text")
    @classmethod
    def _text(cls, value: Localised) -> Localised:
        return _plain(value, TEXT_MAX)

    @field_validator("activity")
    @classmethod
    def _activity(cls, value: Localised | None) -> Localised | None:
        return value if value is None else _plain(value, ACTIVITY_MAX)

    @model_validator(mode="after")
    def _fits_a_caption(self) -> Tip:
        for language in SUPPORTED_LANGUAGES:
            size = len(self.title.get(language)) + len(self.text.get(language))
            size += len(self.activity.get(language)) if self.activity else 0
            if size + RENDER_ALLOWANCE > CAPTION_MAX:
                raise ValueError(f"{language}: title, text and activity together are too long for a voice caption")
        return self

    def audio_for(self, language: str) -> str | None:
        return self.audio.get(language) if self.audio else None


class TipsFile(_Strict):
    tips: list[Tip] = Field(min_length=1)


@dataclass(frozen=True)
class GuidanceContent:
    directory: Path  # content/guidance, where audio paths start
    topics: tuple[Topic, ...]
    tips: tuple[Tip, ...]  # in file order: selection interleaves topics from this order
    targeted: tuple[TargetRule, ...]

    def topic(self, topic_id: str) -> Topic | None:
        return next((topic for topic in self.topics if topic.id == topic_id), None)

    def tip(self, tip_id: str) -> Tip | None:
        return next((tip for tip in self.tips if tip.id == tip_id), None)

    def track_of(self, tip: Tip) -> Track:
        return cast(Topic, self.topic(tip.topics[0])).track

    def audio_path(self, tip: Tip, language: str) -> Path | None:
        name = tip.audio_for(language)
        return self.directory / name if name else None

    def rule_for(self, answers: dict[str, str]) -> TargetRule | None:
        """The first rule (pack order is priority order) that the check-in's answers meet."""
        return next((rule for rule in self.targeted if answers.get(rule.question) in rule.options), None)


def _check_tips(path: Path, tips: Sequence[Tip], topics: dict[str, Topic], directory: Path, seen: set[str]) -> None:
    for index, tip in enumerate(tips):
        where = f"{path}: tips.{index} ({tip.id})"
        if tip.id in seen:
            raise ContentError(f"{where}.id: duplicate tip id {tip.id!r}")
        seen.add(tip.id)
        if unknown := [topic for topic in tip.topics if topic not in topics]:
            raise ContentError(f"{where}.topics: unknown topic(s) {unknown}; known: {sorted(topics)}")
        if len({topics[topic].track for topic in tip.topics}) > 1:
            raise ContentError(f"{where}.topics: a tip is for caregivers or for parents, not both")
        for language in SUPPORTED_LANGUAGES:
            name = tip.audio_for(language)
            if name is not None and not (directory / name).is_file():
                raise ContentError(f"{where}.audio.{language}: file {directory / name} is missing")


def _check_rules(path: Path, content: GuidanceContent, questionnaire: Questionnaire) -> None:
    for index, rule in enumerate(content.targeted):
        where = f"{path}: targeted.{index}"
        try:
            question = questionnaire.question(rule.question)
        except KeyError:
            raise ContentError(f"{where}.question: {rule.question!r} is not a check-in question") from None
        known = {option.id for option in question.options}
        if unknown := [option for option in rule.options if option not in known]:
            raise ContentError(f"{where}.options: {unknown} are not answers of {rule.question!r}")
        topic = content.topic(rule.topic)
        if topic is None or topic.track is not Track.CAREGIVER:
            raise ContentError(f"{where}.topic: {rule.topic!r} is not a caregiver topic")
        for tip_id in rule.tips:
            tip = content.tip(tip_id)
            if tip is None or rule.topic not in tip.topics:
                raise ContentError(f"{where}.tips: {tip_id!r} is not a tip of topic {rule.topic!r}")


def load_guidance_content(content_dir: Path, questionnaire: Questionnaire) -> GuidanceContent:
    directory = content_dir / GUIDANCE_DIR
    topics_file = cast(TopicsFile, load_model(directory, TOPICS_FILE, TopicsFile))
    topics = {topic.id: topic for topic in topics_file.topics}
    if len(topics) != len(topics_file.topics):
        raise ContentError(f"{directory / TOPICS_FILE}: topics: duplicate topic ids")
    tip_files = sorted((directory / TIPS_DIR).glob("*.yaml"))
    if not tip_files:
        raise ContentError(f"{directory / TIPS_DIR}: no tip files (*.yaml)")
    tips: list[Tip] = []
    seen: set[str] = set()
    for path in tip_files:
        file_tips = cast(TipsFile, load_model(path.parent, path.name, TipsFile)).tips
        _check_tips(path, file_tips, topics, directory, seen)
        tips.extend(file_tips)
    content = GuidanceContent(directory, tuple(topics_file.topics), tuple(tips), tuple(topics_file.targeted))
    _check_rules(directory / TOPICS_FILE, content, questionnaire)
    if empty := [topic for topic in topics if not any(topic in tip.topics for tip in tips)]:
        raise ContentError(f"{directory / TOPICS_FILE}: topics {empty} have no tips")
    return content


def tips_for(content: GuidanceContent, track: Track, bands: Iterable[AgeBand], topic: str | None = None) -> list[Tip]:
    """The tips of a track that suit any of these age bands, optionally of one topic, in pack order."""
    wanted = set(bands)
    return [
        tip
        for tip in content.tips
        if content.track_of(tip) is track and wanted & set(tip.ages) and (topic is None or topic in tip.topics)
    ]
