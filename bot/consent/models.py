"""A consent record names the text version shown, so we can tell later exactly what was agreed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, clock_default


class ConsentRecord(Base):
    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # What was agreed: "caregiver_terms", "parent_terms", "parent_summaries", ...
    scope: Mapped[str] = mapped_column(String(32))
    text_version: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
