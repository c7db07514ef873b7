"""A school's counsellors may share a Telegram group. It gets one minimal line about a new urgent or high case, so
that someone opens it in their private chat; never a child's name, never the reasons.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import log as audit
from bot.cases.models import Case, SchoolGroup
from bot.cases.severity import Level
from bot.outbox.enqueue import enqueue
from bot.outbox.models import Priority
from bot.schools.models import School, SchoolCounsellor

NOTICE_LEVELS = (Level.URGENT, Level.HIGH)


async def link_group(session: AsyncSession, person_id: int, chat_id: int, now: datetime) -> School | None:
    """Link the group to the school of the counsellor who asked (their first school); None if not a counsellor."""
    school_id = await session.scalar(
        select(SchoolCounsellor.school_id)
        .where(SchoolCounsellor.person_id == person_id)
        .order_by(SchoolCounsellor.school_id)
        .limit(1)
    )
    if school_id is None:
        return None
    # One group a school, one school a group: linking again moves the link.
    await session.execute(delete(SchoolGroup).where(SchoolGroup.chat_id == chat_id))
    linked = await session.get(SchoolGroup, school_id)
    if linked is None:
        session.add(SchoolGroup(school_id=school_id, chat_id=chat_id, linked_by_id=person_id, linked_at=now))
    else:
        linked.chat_id, linked.linked_by_id, linked.linked_at = chat_id, person_id, now
    audit.record(session, "school.group_linked", "school", school_id, actor_person_id=person_id)
    return await session.get(School, school_id)


async def unlink_group(session: AsyncSession, person_id: int, chat_id: int) -> bool:
    """Only a counsellor of the linked school may unlink it."""
    linked = await session.scalar(select(SchoolGroup).where(SchoolGroup.chat_id == chat_id))
    if linked is None:
        return False
    counsellor = await session.scalar(
        select(SchoolCounsellor.id).where(
            SchoolCounsellor.school_id == linked.school_id, SchoolCounsellor.person_id == person_id
        )
    )
    if counsellor is None:
        return False
    await session.delete(linked)
    audit.record(session, "school.group_unlinked", "school", linked.school_id, actor_person_id=person_id)
    return True


async def move_group_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
    """Telegram gave the group a new id (it became a supergroup): the school's link follows it."""
    await session.execute(update(SchoolGroup).where(SchoolGroup.chat_id == old_chat_id).values(chat_id=new_chat_id))


async def notify_group(session: AsyncSession, case: Case, flag_id: int) -> None:
    if case.severity not in NOTICE_LEVELS:
        return
    group = await session.get(SchoolGroup, case.school_id)
    if group is None:
        return
    await enqueue(
        session,
        None,
        "group_case_notice",
        {"case_id": case.id, "level": case.severity.value},
        chat_id=group.chat_id,
        priority=Priority.URGENT if case.severity is Level.URGENT else Priority.NORMAL,
        dedupe_key=f"group:{flag_id}",
    )
