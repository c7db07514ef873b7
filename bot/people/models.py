"""A person is one account on a channel; roles come from their links to schools, regions and children."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, clock_default


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    # Private chats share the user's id, but keep the chat apart so group or other channels fit later.
    chat_id: Mapped[int] = mapped_column(BigInteger)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    # None until the person picks a language; until then we follow Telegram's language_code.
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
    # Set when Telegram says we can never reach them (blocked the bot, chat not found).
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
