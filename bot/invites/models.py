"""Invites are stored by the hash of their code; the code itself is shown once and never kept."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, clock_default
from bot.db.types import str_enum
from bot.families.models import ParentRelation


class InviteKind(StrEnum):
    SCHOOL_JOIN = "school_join"  # caregivers of a school; many uses
    COUNSELLOR = "counsellor"
    SUPERVISOR = "supervisor"
    PARENT = "parent"


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[InviteKind] = mapped_column(str_enum(InviteKind))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), default=None)
    region: Mapped[str | None] = mapped_column(String(100), default=None)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), default=None)
    relation: Mapped[ParentRelation | None] = mapped_column(str_enum(ParentRelation), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # None means unlimited (a school's join code); one-time invites have 1.
    max_uses: Mapped[int | None] = mapped_column(Integer, default=None)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class FailedCodeAttempt(Base):
    """One wrong code typed or opened; counted to pause guessing."""

    __tablename__ = "failed_code_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
