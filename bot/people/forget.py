"""Deleting a person's data on request, as the consent text promises: the person, their links and everything
written by or about them through the bot, and any child left with nobody linked, with that child's check-ins
and cases.

The database's ON DELETE rules do the fan-out (links, check-ins, schedules, outbox, conversations cascade;
authorship on cases and events becomes "someone who left"). Counsellors leave their schools first, so their open
cases go back to Unassigned and the other counsellors are told rather than the cases quietly losing their owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import log as audit
from bot.cases import staff
from bot.families.models import CaregiverLink, Child, Household, ParentLink
from bot.people.models import Person
from bot.schools.models import SchoolCounsellor


@dataclass(frozen=True)
class Forgotten:
    person_id: int
    children_deleted: int
    cases_returned: int


async def forget(session: AsyncSession, telegram_user_id: int, now: datetime) -> Forgotten | None:
    """None when nobody with that Telegram id uses Shouhu."""
    person = await session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))
    if person is None:
        return None
    returned = 0
    schools = await session.scalars(select(SchoolCounsellor.school_id).where(SchoolCounsellor.person_id == person.id))
    for school_id in schools.all():
        removal = await staff.remove_counsellor(
            session, school_id=school_id, telegram_user_id=telegram_user_id, now=now
        )
        returned += len(removal.returned_case_ids)
    child_ids = set(
        (await session.scalars(select(CaregiverLink.child_id).where(CaregiverLink.person_id == person.id))).all()
    ) | set((await session.scalars(select(ParentLink.child_id).where(ParentLink.person_id == person.id))).all())
    person_id = person.id
    await session.delete(person)
    await session.flush()
    deleted = 0
    for child_id in sorted(child_ids):
        linked = exists().where(CaregiverLink.child_id == child_id) | exists().where(ParentLink.child_id == child_id)
        if await session.scalar(select(linked)):
            continue
        child = await session.get(Child, child_id)
        household_id = child.household_id
        await session.delete(child)
        await session.flush()
        deleted += 1
        if not await session.scalar(select(exists().where(Child.household_id == household_id))):
            await session.execute(delete(Household).where(Household.id == household_id))
    audit.record(session, "person.forgotten", "person", person_id, actor="cli", children_deleted=deleted)
    return Forgotten(person_id, deleted, returned)
