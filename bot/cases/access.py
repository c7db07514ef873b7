"""Who may see and act on which case: counsellors on their schools' cases, supervisors within their region.

Every case action passes through `case_for`, on the server, whatever the button said: callback data is typed by
the client and can be forged or replayed by someone who has since lost access.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.models import Case
from bot.schools.models import RegionSupervisor, School, SchoolCounsellor


@dataclass(frozen=True)
class Staff:
    """What a person may see: the schools they counsel in, and the schools of the regions they supervise."""

    person_id: int
    counsellor_school_ids: frozenset[int]
    supervised_school_ids: frozenset[int]

    @property
    def any(self) -> bool:
        return bool(self.counsellor_school_ids or self.supervised_school_ids)

    @property
    def school_ids(self) -> frozenset[int]:
        return self.counsellor_school_ids | self.supervised_school_ids

    def counsels(self, case: Case) -> bool:
        return case.school_id in self.counsellor_school_ids

    def supervises(self, case: Case) -> bool:
        return case.school_id in self.supervised_school_ids


async def staff_of(session: AsyncSession, person_id: int) -> Staff:
    counselled = await session.scalars(
        select(SchoolCounsellor.school_id).where(SchoolCounsellor.person_id == person_id)
    )
    supervised = await session.scalars(
        select(School.id)
        .join(RegionSupervisor, RegionSupervisor.region == School.region)
        .where(RegionSupervisor.person_id == person_id)
    )
    return Staff(person_id, frozenset(counselled.all()), frozenset(supervised.all()))


async def case_for(session: AsyncSession, staff: Staff, case_id: int, *, lock: bool = False) -> Case | None:
    """The case, only if this person may see it; None is all a caller without access ever learns."""
    statement = select(Case).where(Case.id == case_id, Case.school_id.in_(staff.school_ids))
    return await session.scalar(statement.with_for_update() if lock else statement)
