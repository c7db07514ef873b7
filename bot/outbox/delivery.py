"""The contract between the sender and a channel: what goes out, and how its delivery went.

A transport (Telegram today, maybe WeCom or SMS later) turns an `OutgoingMessage` into one send and classifies
what happened as one `Delivery`; the sender decides what each outcome means for the outbox row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    outbox_id: int
    person_id: int | None  # None for a group chat
    chat_id: int
    language: str
    kind: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Sent:
    message_id: int


@dataclass(frozen=True)
class RetryAfter:
    """The channel rate-limited this chat: nothing more goes to it for `seconds`."""

    seconds: float


@dataclass(frozen=True)
class Transient:
    """A server error, a timeout or a network failure: the same message may go through later."""

    error: str


@dataclass(frozen=True)
class Unsure:
    """A timeout: the message may have arrived. Sent again only if its row allows it (`resend_if_unsure`)."""

    error: str


@dataclass(frozen=True)
class Migrated:
    """The group became a supergroup with a new chat id: the same message goes there instead."""

    new_chat_id: int


@dataclass(frozen=True)
class Unreachable:
    """The person can never be reached on this channel (blocked the bot, chat not found, deactivated)."""

    reason: str


@dataclass(frozen=True)
class Rejected:
    """The message itself is bad (unknown kind, malformed text): permanent for this message only."""

    reason: str


Delivery = Sent | RetryAfter | Transient | Unsure | Migrated | Unreachable | Rejected


class Transport(Protocol):
    async def deliver(self, message: OutgoingMessage) -> Delivery: ...
