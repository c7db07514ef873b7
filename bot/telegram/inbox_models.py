"""Every update is stored before it is handled: duplicates are dropped and a crash replays what was left."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, clock_default


class InboundUpdate(Base):
    __tablename__ = "inbound_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The raw update until it has been handled; cleared then, since it may hold what a person wrote.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
