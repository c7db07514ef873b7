"""Taking back queued messages whose recipient may no longer hear about what they say (a counsellor removed,
a parent unlinked, a supervisor removed).

Parameters are encrypted, so the rows are read and matched here rather than in SQL. Only rows still waiting
are cancelled: one the sender has claimed is already on its way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox.models import OutboxMessage, OutboxStatus


async def cancel_pending(session: AsyncSession, person_id: int, about: Callable[[dict[str, Any]], bool]) -> int:
    """Cancel the person's waiting messages whose parameters `about` matches; how many were cancelled."""
    waiting = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.person_id == person_id, OutboxMessage.status == OutboxStatus.PENDING)
        .with_for_update()
    )
    cancelled = 0
    for message in waiting.all():
        if about(message.params):
            message.status = OutboxStatus.CANCELLED
            cancelled += 1
    return cancelled


def about_cases(case_ids: Collection[int]) -> Callable[[dict[str, Any]], bool]:
    """Messages about any of these cases (an alert, a reminder, a reply, a list of returned cases)."""
    wanted = set(case_ids)
    return lambda params: params.get("case_id") in wanted or bool(wanted.intersection(params.get("case_ids", ())))


async def cancel_keyed(session: AsyncSession, prefixes: Collection[str]) -> int:
    """Cancel waiting messages, to anyone, whose dedupe key starts with one of `prefixes` (e.g. "call:12:")."""
    if not prefixes:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(*(OutboxMessage.dedupe_key.startswith(prefix, autoescape=True) for prefix in prefixes)),
        )
        .values(status=OutboxStatus.CANCELLED)
    )
    return result.rowcount
