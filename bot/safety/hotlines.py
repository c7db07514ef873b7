"""Which hotline list applies to a person: that of their school's region."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.pack import ContentPack, HotlineRegion
from bot.families.models import CaregiverLink, Child, ParentLink
from bot.schools.models import School, SchoolCounsellor

FALLBACK_REGION = "cn"


async def hotlines_for(session: AsyncSession, person_id: int, content: ContentPack) -> HotlineRegion:
    schools_of_person = (
        select(School.hotline_region)
        .join(Child, Child.school_id == School.id)
        .outerjoin(CaregiverLink, CaregiverLink.child_id == Child.id)
        .outerjoin(ParentLink, ParentLink.child_id == Child.id)
        .where((CaregiverLink.person_id == person_id) | (ParentLink.person_id == person_id))
        .union(
            select(School.hotline_region)
            .join(SchoolCounsellor, SchoolCounsellor.school_id == School.id)
            .where(SchoolCounsellor.person_id == person_id)
        )
    )
    keys = [key for key in (await session.scalars(schools_of_person)).all() if key in content.hotlines.regions]
    return region_by_key(content, keys[0] if keys else FALLBACK_REGION)


def region_by_key(content: ContentPack, key: str) -> HotlineRegion:
    """The hotlines of a region; a school whose region the pack lacks still gets the national numbers."""
    regions = content.hotlines.regions
    return regions.get(key) or regions.get(FALLBACK_REGION) or next(iter(regions.values()))
