"""Adding and listing schools, their join codes, and the staff who join them by invite."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import log as audit
from bot.content import ContentPack
from bot.errors import InvalidInput
from bot.families.models import Child
from bot.invites import service as invites
from bot.invites.models import InviteKind
from bot.schools.models import RegionSupervisor, School, SchoolCounsellor

NAME_MAX = 100


@dataclass(frozen=True)
class SchoolSummary:
    id: int
    name: str
    region: str
    timezone: str
    hotline_region: str
    counsellors: int
    children: int


def _clean_label(value: str, field: str) -> str:
    value = " ".join(value.split())
    if not value or len(value) > NAME_MAX:
        raise InvalidInput(f"{field}_length", f"{field} must be 1 to {NAME_MAX} characters")
    return value


async def add_school(
    session: AsyncSession,
    *,
    name: str,
    region: str,
    timezone: str,
    hotline_region: str,
    content: ContentPack,
    now: datetime,
) -> tuple[School, str]:
    """A new school and its caregiver join code (shown once)."""
    name, region = _clean_label(name, "name"), _clean_label(region, "region")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("timezone", f"unknown time zone {timezone!r}") from exc
    if hotline_region not in content.hotlines.regions:
        known = ", ".join(sorted(content.hotlines.regions))
        raise InvalidInput("hotline_region", f"unknown hotline region {hotline_region!r} (known: {known})")
    if await session.scalar(select(School.id).where(School.name == name, School.region == region)):
        raise InvalidInput("duplicate", f"a school named {name!r} already exists in {region!r}")
    school = School(name=name, region=region, timezone=timezone, hotline_region=hotline_region)
    session.add(school)
    await session.flush()
    audit.record(session, "school.added", "school", school.id, actor="cli")
    issued = await invites.issue(session, InviteKind.SCHOOL_JOIN, school_id=school.id, now=now)
    return school, issued.code


async def new_join_code(session: AsyncSession, school_id: int, now: datetime) -> str:
    """Replace a school's caregiver join code, e.g. after it was shared too widely."""
    await get_school(session, school_id)
    await invites.revoke_school_join_codes(session, school_id, now)
    issued = await invites.issue(session, InviteKind.SCHOOL_JOIN, school_id=school_id, now=now)
    return issued.code


async def get_school(session: AsyncSession, school_id: int) -> School:
    school = await session.get(School, school_id)
    if school is None:
        raise InvalidInput("unknown_school", f"no school with id {school_id}")
    return school


async def region_exists(session: AsyncSession, region: str) -> bool:
    return await session.scalar(select(School.id).where(School.region == region).limit(1)) is not None


async def list_schools(session: AsyncSession) -> list[SchoolSummary]:
    counsellors = (
        select(func.count()).where(SchoolCounsellor.school_id == School.id).correlate(School).scalar_subquery()
    )
    children = select(func.count()).where(Child.school_id == School.id).correlate(School).scalar_subquery()
    rows = await session.execute(select(School, counsellors, children).order_by(School.region, School.name))
    return [
        SchoolSummary(
            id=school.id,
            name=school.name,
            region=school.region,
            timezone=school.timezone,
            hotline_region=school.hotline_region,
            counsellors=n_counsellors,
            children=n_children,
        )
        for school, n_counsellors, n_children in rows
    ]


async def add_counsellor(session: AsyncSession, school_id: int, person_id: int, now: datetime) -> None:
    exists = await session.scalar(
        select(SchoolCounsellor.id).where(
            SchoolCounsellor.school_id == school_id, SchoolCounsellor.person_id == person_id
        )
    )
    if exists is None:
        session.add(SchoolCounsellor(school_id=school_id, person_id=person_id, joined_at=now))
        audit.record(session, "school.counsellor_joined", "school", school_id, actor_person_id=person_id)


async def add_supervisor(session: AsyncSession, region: str, person_id: int, now: datetime) -> None:
    exists = await session.scalar(
        select(RegionSupervisor.id).where(RegionSupervisor.region == region, RegionSupervisor.person_id == person_id)
    )
    if exists is None:
        session.add(RegionSupervisor(region=region, person_id=person_id, joined_at=now))
        audit.record(session, "region.supervisor_joined", "person", person_id, actor_person_id=person_id, region=region)
