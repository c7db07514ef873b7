"""Guidance schedules and tip deliveries. A tip to send is a row that becomes due; the scheduler only wakes it.

One delivery row is one tip for one person: planned for a weekly slot (the tip is chosen when it falls due),
chosen by a check-in answer, sent as the follow-up to a tip that "was hard", or opened while browsing. The same
row keeps what the person said about it (helpful or not, did they try it), so feedback needs no second table.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, clock_default
from bot.db.types import str_enum

DEFAULT_WEEKDAYS = (1, 4)  # Tuesday and Friday: two a week, spread out (Monday is 0)
DEFAULT_HOUR = 19
# The days a new frequency starts from; the person can then move them one by one.
WEEKDAYS_FOR = {0: (), 1: (2,), 2: DEFAULT_WEEKDAYS, 3: (0, 2, 4)}
MAX_PER_WEEK = 3


class DeliveryOrigin(StrEnum):
    SCHEDULED = "scheduled"  # the person's weekly slots
    TARGETED = "targeted"  # chosen by a check-in answer
    FOLLOW_UP = "follow_up"  # after "I tried it, it was hard"
    BROWSED = "browsed"  # opened from the Tips menu


class DeliveryStatus(StrEnum):
    SCHEDULED = "scheduled"  # waits for its due time
    SENT = "sent"  # handed to the outbox (or shown, when browsed)
    CANCELLED = "cancelled"  # nothing suitable to send, or the person stopped tips


class Tried(StrEnum):
    WENT_WELL = "went_well"
    HARD = "hard"
    NOT_YET = "not_yet"


class Feedback(StrEnum):
    HELPFUL = "helpful"
    NOT_FOR_ME = "not_for_me"


class GuidanceSchedule(Base):
    """How often and when a person wants tips, in the time zone of their children's school."""

    __tablename__ = "guidance_schedules"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    # Sorted weekdays (Monday is 0); how many there are is how many tips a week, 0 to 3.
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=lambda: list(DEFAULT_WEEKDAYS))
    hour: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_HOUR)
    timezone: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default, onupdate=clock_default)


class GuidanceDelivery(Base):
    __tablename__ = "guidance_deliveries"
    __table_args__ = (
        Index("ix_guidance_deliveries_status_due_at", "status", "due_at"),
        Index("ix_guidance_deliveries_ask_at", "ask_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # What caused the row, unique: planning, a check-in or a "hard" answer replayed never makes a second row.
    source_key: Mapped[str] = mapped_column(String(64), unique=True)
    origin: Mapped[DeliveryOrigin] = mapped_column(str_enum(DeliveryOrigin))
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus), default=DeliveryStatus.SCHEDULED)
    # Targeted and follow-up tips know their tip (or topic) up front; scheduled ones choose when they fall due.
    tip_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    topic_id: Mapped[str | None] = mapped_column(String(32), default=None)
    # Which tips a targeted rule allows, when it narrows its topic.
    tip_choices: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id", ondelete="SET NULL"), default=None)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # "Did you try it?" the next day, for tips with an activity; asked_at is set once, when it is enqueued.
    ask_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    tried: Mapped[Tried | None] = mapped_column(str_enum(Tried), default=None)
    tried_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    feedback: Mapped[Feedback | None] = mapped_column(str_enum(Feedback), default=None)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
