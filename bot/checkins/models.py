"""Check-in schedules and check-ins. A check-in is a row that becomes due; the scheduler only wakes it up.

One check-in is about one child and asked of one caregiver. Answers are saved one by one as they come, so an
interrupted check-in resumes where it stopped.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.cases.severity import Level
from bot.crypto import EncryptedJSON, EncryptedText
from bot.db.base import Base, UTCDateTime, clock_default
from bot.db.types import str_enum

DEFAULT_WEEKDAY = 6  # Sunday (Monday is 0)
DEFAULT_MINUTE_OF_DAY = 19 * 60


class CheckinStatus(StrEnum):
    SCHEDULED = "scheduled"  # waits for its due time
    OPEN = "open"  # the caregiver has been asked
    COMPLETED = "completed"
    MISSED = "missed"  # not finished within the answer window
    CANCELLED = "cancelled"  # the caregiver no longer cares for the child


class CheckinOrigin(StrEnum):
    SCHEDULED = "scheduled"
    ON_DEMAND = "on_demand"


class CheckinSchedule(Base):
    """When a caregiver wants the weekly check-in, in the time zone of their children's school."""

    __tablename__ = "checkin_schedules"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_WEEKDAY)
    minute_of_day: Mapped[int] = mapped_column(SmallInteger, default=DEFAULT_MINUTE_OF_DAY)
    timezone: Mapped[str] = mapped_column(String(64))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default, onupdate=clock_default)


class Checkin(Base):
    __tablename__ = "checkins"
    __table_args__ = (
        # The same scheduled slot can never be created twice, whatever restarts or races happen.
        UniqueConstraint("caregiver_id", "child_id", "due_at"),
        Index("ix_checkins_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    caregiver_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    origin: Mapped[CheckinOrigin] = mapped_column(str_enum(CheckinOrigin))
    status: Mapped[CheckinStatus] = mapped_column(str_enum(CheckinStatus), default=CheckinStatus.SCHEDULED)
    # Which wording was asked, set when the check-in opens (the pack may change while it waits).
    questionnaire_version: Mapped[str | None] = mapped_column(String(32), default=None)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Question id -> option id, in the order answered.
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    note: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    voice_file_id: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    symptom_score: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # The highest level this check-in has flagged so far, and the highest the caregiver has been given the
    # safety reply for: a rise in either is news, the same level again is not.
    flagged_level: Mapped[Level | None] = mapped_column(str_enum(Level), default=None)
    advised_level: Mapped[Level | None] = mapped_column(str_enum(Level), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default, onupdate=clock_default)
