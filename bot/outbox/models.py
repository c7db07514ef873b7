"""An outbox row says who gets which kind of message with which parameters, and how its delivery went.

Rows carry a message kind and parameters, not rendered text: the channel adapter renders them in the
recipient's language at send time.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.crypto import EncryptedJSON, EncryptedText
from bot.db.base import Base, UTCDateTime, clock_default
from bot.db.types import str_enum


class Priority(IntEnum):
    URGENT = 0
    NORMAL = 5
    BULK = 9


# A row may replace a message sent before, in place (an alert kept current): by its Telegram message id, or, while
# that message is still on its way, by the id of the row sending it; the sender puts in the Telegram id when it
# claims the row, which is after that message went, since a chat never has two rows in flight.
EDITS = "edit_message_id"
EDITS_ROW = "edit_of_outbox_id"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # permanently: the person is unreachable, or retries ran out
    CANCELLED = "cancelled"


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # Shaped for the claim (bot/outbox/sender.py): pending rows only, in the order they are claimed, so the
        # planner finds the next row without statistics however many sent rows the table holds.
        Index(
            "ix_outbox_pending",
            "priority",
            "not_before",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # "Is this chat busy?": a row in flight, or one sent within the last second, to the same chat.
        Index("ix_outbox_person_recent", "person_id", "sent_at"),
        Index("ix_outbox_chat_recent", "chat_id", "sent_at"),
        Index(
            "ix_outbox_in_flight",
            "claimed_until",
            postgresql_where=text("status = 'sending'"),
            sqlite_where=text("status = 'sending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A row goes to a person's private chat, or else to `chat_id`: a group that is not anyone's private chat.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    kind: Mapped[str] = mapped_column(String(48))
    # Encrypted: parameters name children (nickname, age, reasons, scores) even when no one's words are in them.
    params: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    # Parameters that hold what people wrote about a child, as encrypted JSON; merged into `params` to render.
    private_params: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    priority: Mapped[int] = mapped_column(SmallInteger, default=Priority.NORMAL)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus), default=OutboxStatus.PENDING)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
    # Sending has no idempotency key: after a crash mid-send, resend (alerts) or give up (chatty messages).
    resend_if_unsure: Mapped[bool] = mapped_column(Boolean, default=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ChatPause(Base):
    """A chat Telegram rate-limited (429 with retry_after): nothing goes to it before `not_before`, while the
    sender goes on with every other chat."""

    __tablename__ = "outbox_chat_pauses"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
