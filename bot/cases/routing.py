"""Who hears about a case: only people the channel can still reach, and never nobody while anyone can be reached.

A counsellor who blocked the bot is skipped; when no counsellor of the school is reachable, the region's supervisors
are told at once rather than when the case's time limit runs out. When not even a supervisor is reachable, an
operator must step in: that is logged as an error (case id only), and the case's take clock keeps running so its
reminders try again.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.models import Case
from bot.people.models import Person
from bot.schools.models import RegionSupervisor, School, SchoolCounsellor

log = logging.getLogger(__name__)

COUNSELLORS = "counsellors"
SUPERVISORS = "supervisors"
ASSIGNEE = "assignee"


async def counsellors_of(session: AsyncSession, school_id: int) -> list[int]:
    """The school's counsellors the channel can still reach: a message to anyone else would never arrive."""
    rows = await session.scalars(
        select(SchoolCounsellor.person_id)
        .join(Person, Person.id == SchoolCounsellor.person_id)
        .where(SchoolCounsellor.school_id == school_id, Person.unreachable_since.is_(None))
        .order_by(SchoolCounsellor.id)
    )
    return list(rows.all())


async def supervisors_of(session: AsyncSession, region: str) -> list[int]:
    """The region's supervisors the channel can still reach."""
    rows = await session.scalars(
        select(RegionSupervisor.person_id)
        .join(Person, Person.id == RegionSupervisor.person_id)
        .where(RegionSupervisor.region == region, Person.unreachable_since.is_(None))
        .order_by(RegionSupervisor.id)
    )
    return list(rows.all())


async def room_of(session: AsyncSession, school: School) -> tuple[list[int], str]:
    """The school's reachable counsellors, or else its region's reachable supervisors; and which of the two."""
    counsellors = await counsellors_of(session, school.id)
    if counsellors:
        return counsellors, COUNSELLORS
    return await supervisors_of(session, school.region), SUPERVISORS


async def recipients_for(
    session: AsyncSession, case: Case, school: School, *, only_assignee: bool
) -> tuple[list[int], str]:
    """Who hears news of `case`: its counsellor when only they need it and can be reached, else the room."""
    if only_assignee and case.assigned_to_id is not None:
        assignee = await session.get(Person, case.assigned_to_id)
        if assignee.unreachable_since is None:
            return [case.assigned_to_id], ASSIGNEE
    recipients, audience = await room_of(session, school)
    if not recipients:
        log.error("case %d: no counsellor or supervisor can be reached; an operator must step in", case.id)
    return recipients, audience
