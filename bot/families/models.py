"""A household holds children of one school; caregivers and parents are linked per child with their relation."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, clock_default
from bot.db.types import str_enum


class CaregiverRelation(StrEnum):
    GRANDMOTHER = "grandmother"
    GRANDFATHER = "grandfather"
    MOTHER = "mother"
    FATHER = "father"
    AUNT = "aunt"
    UNCLE = "uncle"
    OTHER = "other"


class ParentRelation(StrEnum):
    MOTHER = "mother"
    FATHER = "father"


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)


class Child(Base):
    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    # A nickname is enough: we never ask for a child's full name.
    nickname: Mapped[str] = mapped_column(String(32))
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    birth_month: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    grade: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)


class CaregiverLink(Base):
    __tablename__ = "caregiver_links"
    __table_args__ = (UniqueConstraint("person_id", "child_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    relation: Mapped[CaregiverRelation] = mapped_column(str_enum(CaregiverRelation))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)


class ParentLink(Base):
    __tablename__ = "parent_links"
    __table_args__ = (UniqueConstraint("person_id", "child_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    relation: Mapped[ParentRelation] = mapped_column(str_enum(ParentRelation))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
