"""What command list was last set for each chat, so that Telegram is asked again only when it would change."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base


class ChatCommands(Base):
    __tablename__ = "chat_commands"

    # Kept per person, so that forgetting a person forgets this too.
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # A digest of the commands and their descriptions: a new role, language or translation changes it.
    digest: Mapped[str] = mapped_column(String(64))
