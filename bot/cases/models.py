"""A case is the counselling room's file on a child; each flag is one piece of evidence that opened or joined it.

A child has at most one open case: a new flag joins it and may raise its severity. Free text and voice-note
references are encrypted at rest.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Float, ForeignKey, Index, SmallInteger, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.cases.severity import Level
from bot.crypto import EncryptedText
from bot.db.base import Base, UTCDateTime, utcnow
from bot.db.types import str_enum


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class FlagSource(StrEnum):
    CHECKIN = "checkin"  # answers of a check-in
    MISSED = "missed"  # check-ins missed in a row
    WORRIED = "worried"  # the "I'm worried" button
    MESSAGE = "message"  # free text sent outside any flow


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "uq_cases_open_child",
            "child_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus), default=CaseStatus.OPEN)
    severity: Mapped[Level] = mapped_column(str_enum(Level))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Flag(Base):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    level: Mapped[Level] = mapped_column(str_enum(Level))
    source: Mapped[FlagSource] = mapped_column(str_enum(FlagSource))
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id", ondelete="SET NULL"), default=None)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), default=None)
    # Reason keys of the content pack (content/checkins/), e.g. "said_want_to_die"; the evidence in short.
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    symptom_score: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # The child's scores of the weeks before, newest first: the trend a counsellor reads the score against.
    previous_scores: Mapped[list[int]] = mapped_column(JSON, default=list)
    average: Mapped[float | None] = mapped_column(Float, default=None)
    missed_in_a_row: Mapped[int] = mapped_column(SmallInteger, default=0)
    note: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    voice_file_id: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
