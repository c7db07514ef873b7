"""Schools and the staff who see their cases: counsellors per school, supervisors per region."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, clock_default


class School(Base):
    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("name", "region"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    # Which hotline list of the content pack applies (content/hotlines.yaml).
    hotline_region: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)


class SchoolCounsellor(Base):
    __tablename__ = "school_counsellors"
    __table_args__ = (UniqueConstraint("school_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)


class RegionSupervisor(Base):
    __tablename__ = "region_supervisors"
    __table_args__ = (UniqueConstraint("region", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(100), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
