"""Finding people, and what roles their links give them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.families.models import CaregiverLink, ParentLink
from bot.people.models import Person
from bot.schools.models import RegionSupervisor, SchoolCounsellor


@dataclass(frozen=True)
class Roles:
    counsellor_school_ids: tuple[int, ...] = ()
    supervisor_regions: tuple[str, ...] = ()
    caregiver_child_ids: tuple[int, ...] = ()
    parent_child_ids: tuple[int, ...] = ()

    @property
    def is_counsellor(self) -> bool:
        return bool(self.counsellor_school_ids)

    @property
    def is_supervisor(self) -> bool:
        return bool(self.supervisor_regions)

    @property
    def is_caregiver(self) -> bool:
        return bool(self.caregiver_child_ids)

    @property
    def is_parent(self) -> bool:
        return bool(self.parent_child_ids)

    @property
    def any(self) -> bool:
        return self.is_counsellor or self.is_supervisor or self.is_caregiver or self.is_parent


async def find_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Person | None:
    return await session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))


async def get_or_create(session: AsyncSession, *, telegram_user_id: int, chat_id: int, display_name: str) -> Person:
    """The person behind an account; writing to us also shows they can be reached again."""
    person = await find_by_telegram_id(session, telegram_user_id)
    if person is None:
        person = Person(telegram_user_id=telegram_user_id, chat_id=chat_id, display_name=display_name[:128])
        session.add(person)
        await session.flush()
        return person
    person.chat_id = chat_id
    person.display_name = display_name[:128]
    person.unreachable_since = None
    return person


async def roles_of(session: AsyncSession, person_id: int) -> Roles:
    async def ids(statement) -> tuple:
        return tuple((await session.scalars(statement)).all())

    return Roles(
        counsellor_school_ids=await ids(
            select(SchoolCounsellor.school_id).where(SchoolCounsellor.person_id == person_id)
        ),
        supervisor_regions=await ids(select(RegionSupervisor.region).where(RegionSupervisor.person_id == person_id)),
        caregiver_child_ids=await ids(select(CaregiverLink.child_id).where(CaregiverLink.person_id == person_id)),
        parent_child_ids=await ids(select(ParentLink.child_id).where(ParentLink.person_id == person_id)),
    )
