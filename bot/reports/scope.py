"""What a report covers: one school, or every school of a region; and the clock the region's reports keep."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import InvalidInput
from bot.schools.models import School
from bot.schools.service import get_school


@dataclass(frozen=True)
class Scope:
    label: str  # the school's name or the region
    schools: tuple[School, ...]
    timezone: ZoneInfo  # of the school, or of the region's first school

    @property
    def school_ids(self) -> tuple[int, ...]:
        return tuple(school.id for school in self.schools)


async def school_scope(session: AsyncSession, school_id: int) -> Scope:
    school = await get_school(session, school_id)
    return Scope(school.name, (school,), ZoneInfo(school.timezone))


async def region_scope(session: AsyncSession, region: str) -> Scope:
    region = " ".join(region.split())
    schools = tuple((await session.scalars(select(School).where(School.region == region).order_by(School.id))).all())
    if not schools:
        raise InvalidInput("unknown_region", f"no school in region {region!r}")
    return Scope(region, schools, ZoneInfo(schools[0].timezone))


async def region_timezone(session: AsyncSession, region: str, default: str) -> ZoneInfo:
    """The zone of the region's first school: a region's schools share one in practice, and reports need one."""
    first = await session.scalar(select(School.timezone).where(School.region == region).order_by(School.id).limit(1))
    return ZoneInfo(first or default)
