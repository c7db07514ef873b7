"""Call plans: the zones and times a parent can pick, planning each plan's next call, and who is linked to whom.

Every plan always has its next call as a SCHEDULED row; the unique (plan, at) constraint means planning twice
never creates two rows. Slots are computed in the parent's zone and stored in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.timing import next_slot
from bot.contact.models import Call, CallPlan, CallStatus
from bot.families.models import CaregiverLink, Child, ParentLink
from bot.people.models import Person
from bot.schools.models import School

# Where migrant parents most often work besides home's own zone: a short list keeps the buttons few.
OTHER_ZONES = ("Asia/Shanghai", "Asia/Tokyo", "Asia/Singapore", "Asia/Dubai", "Europe/Moscow", "Europe/Berlin")
# Half hours from 07:00 to 22:30: the times a working parent can realistically call a child.
CALL_MINUTES = tuple(range(7 * 60, 23 * 60, 30))
PLANS_PER_CHILD = 3


def zone_choices(home_timezone: str) -> tuple[str, ...]:
    """Home's zone first (the default), then the others; buttons carry the index, so the order must be stable."""
    return (home_timezone, *[zone for zone in OTHER_ZONES if zone != home_timezone])


async def plan_next_call(session: AsyncSession, plan: CallPlan, after: datetime) -> Call:
    """The plan's next SCHEDULED call, at the first slot after `after`, unless one is planned already."""
    planned = await session.scalar(select(Call).where(Call.plan_id == plan.id, Call.status == CallStatus.SCHEDULED))
    if planned is not None:
        return planned
    call = Call(
        plan_id=plan.id,
        parent_id=plan.parent_id,
        child_id=plan.child_id,
        at=next_slot(after, plan.weekday, plan.minute_of_day, plan.timezone),
    )
    session.add(call)
    await session.flush()
    return call


@dataclass(frozen=True)
class Member:
    """A family member linked to a child: who they are to the child, and whether the bot can still reach them."""

    person_id: int
    relation: str
    reachable: bool


async def parent_link(session: AsyncSession, person_id: int, child_id: int) -> ParentLink | None:
    return await session.scalar(
        select(ParentLink).where(ParentLink.person_id == person_id, ParentLink.child_id == child_id)
    )


async def caregiver_link(session: AsyncSession, person_id: int, child_id: int) -> CaregiverLink | None:
    return await session.scalar(
        select(CaregiverLink).where(CaregiverLink.person_id == person_id, CaregiverLink.child_id == child_id)
    )


async def caregivers(session: AsyncSession, child_id: int) -> list[Member]:
    rows = await session.execute(
        select(CaregiverLink.person_id, CaregiverLink.relation, Person.unreachable_since)
        .join(Person, Person.id == CaregiverLink.person_id)
        .where(CaregiverLink.child_id == child_id)
        .order_by(CaregiverLink.id)
    )
    return [Member(person_id, relation.value, unreachable is None) for person_id, relation, unreachable in rows]


async def parents(session: AsyncSession, child_id: int) -> list[Member]:
    rows = await session.execute(
        select(ParentLink.person_id, ParentLink.relation, Person.unreachable_since)
        .join(Person, Person.id == ParentLink.person_id)
        .where(ParentLink.child_id == child_id)
        .order_by(ParentLink.id)
    )
    return [Member(person_id, relation.value, unreachable is None) for person_id, relation, unreachable in rows]


async def home_timezone(session: AsyncSession, child: Child) -> str:
    return (await session.get(School, child.school_id)).timezone
