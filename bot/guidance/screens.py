"""What guidance asks the adapter to show; the adapter renders each screen in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass

from bot.guidance.content import Tip, Topic
from bot.guidance.models import Feedback, Tried


@dataclass(frozen=True)
class TipsMenu:
    topics: tuple[Topic, ...]


@dataclass(frozen=True)
class TopicTips:
    topic: Topic
    tips: tuple[Tip, ...]  # this page only
    page: int
    pages: int


@dataclass(frozen=True)
class ShowTip:
    delivery_id: int
    tip: Tip
    topic: Topic


@dataclass(frozen=True)
class FeedbackSaved:
    feedback: Feedback


@dataclass(frozen=True)
class TriedSaved:
    tried: Tried


@dataclass(frozen=True)
class AlreadyTold:
    """A second answer to "did you try it?": the first one stands."""


@dataclass(frozen=True)
class GuidanceSettings:
    weekdays: tuple[int, ...]
    hour: int
    hours: tuple[int, ...]


@dataclass(frozen=True)
class TooManyDays:
    most: int
