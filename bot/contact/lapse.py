"""When contact between a parent and a child has lapsed: three weeks with nothing in the contact log.

The case card shows it, and the check-in counts it like a week without contact, because a long silence from
far away matters to how a child is doing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contact.models import ContactEvent
from bot.families.models import ParentLink

CONTACT_LAPSE = timedelta(days=21)


async def last_logged_contact(session: AsyncSession, parent_id: int, child_id: int) -> datetime | None:
    return await session.scalar(
        select(func.max(ContactEvent.at)).where(ContactEvent.parent_id == parent_id, ContactEvent.child_id == child_id)
    )


async def contact_lapsed(session: AsyncSession, child_id: int, now: datetime) -> bool:
    """True when the child has linked parents and none of them has logged contact for three weeks."""
    links = (
        await session.execute(
            select(ParentLink.person_id, ParentLink.created_at).where(ParentLink.child_id == child_id)
        )
    ).all()
    if not links:
        return False
    for parent_id, linked_at in links:
        last = await last_logged_contact(session, parent_id, child_id)
        if now - (last or linked_at) < CONTACT_LAPSE:
            return False
    return True
