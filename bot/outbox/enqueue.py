"""Adding a message to the outbox, inside the transaction of the change that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.outbox.models import OutboxMessage, Priority


async def enqueue(
    session: AsyncSession,
    person_id: int,
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    priority: Priority = Priority.NORMAL,
    not_before: datetime | None = None,
    dedupe_key: str | None = None,
    resend_if_unsure: bool = True,
) -> OutboxMessage | None:
    """The new row, or None when a row with the same dedupe key already exists."""
    if dedupe_key is not None and await session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    message = OutboxMessage(
        person_id=person_id,
        kind=kind,
        params=params or {},
        priority=int(priority),
        not_before=not_before or utcnow(),
        dedupe_key=dedupe_key,
        resend_if_unsure=resend_if_unsure,
    )
    session.add(message)
    await session.flush()
    return message
