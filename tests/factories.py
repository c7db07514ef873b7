"""Setting up schools, counsellors, caregivers and children directly through the domain services, for tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.cases.flags import Evidence, raise_flag
from bot.cases.models import FlagSource
from bot.cases.severity import Level
from bot.checkins.planning import plan_for_new_child
from bot.config import PROJECT_ROOT
from bot.content.bundle import load_content
from bot.db import Database
from bot.families import service as families
from bot.families.models import CaregiverRelation, Child
from bot.people import service as people
from bot.schools import service as schools

CONTENT = load_content(PROJECT_ROOT / "content")


@dataclass(frozen=True)
class Family:
    caregiver_id: int
    child_ids: tuple[int, ...]


async def person(db: Database, telegram_user_id: int, language: str = "zh_Hans") -> int:
    async with db.session() as session:
        someone = await people.get_or_create(
            session, telegram_user_id=telegram_user_id, chat_id=telegram_user_id, display_name="x"
        )
        someone.language = language
        return someone.id


async def school(
    db: Database, name: str, *, counsellors: tuple[int, ...] = (), region: str = "云阳县", now: datetime
) -> int:
    """A school and its counsellors, given as Telegram user ids."""
    async with db.session() as session:
        added, _code = await schools.add_school(
            session,
            name=name,
            region=region,
            timezone="Asia/Shanghai",
            hotline_region="cn",
            content=CONTENT.pack,
            now=now,
        )
        school_id = added.id
    for telegram_user_id in counsellors:
        person_id = await person(db, telegram_user_id)
        async with db.session() as session:
            await schools.add_counsellor(session, school_id, person_id, now)
    return school_id


async def supervisor(db: Database, telegram_user_id: int, region: str, *, now: datetime) -> int:
    person_id = await person(db, telegram_user_id)
    async with db.session() as session:
        await schools.add_supervisor(session, region, person_id, now)
    return person_id


async def family(
    db: Database, school_id: int, telegram_user_id: int, nicknames: tuple[str, ...] = ("小明",), *, now: datetime
) -> Family:
    """A grandmother and her children at a school, with their weekly check-ins planned as onboarding does."""
    caregiver_id = await person(db, telegram_user_id)
    child_ids = []
    async with db.session() as session:
        for nickname in nicknames:
            child = await families.add_child(
                session,
                caregiver_id=caregiver_id,
                school_id=school_id,
                nickname=nickname,
                birth_year=2015,
                birth_month=3,
                relation=CaregiverRelation.GRANDMOTHER,
                now=now,
            )
            await plan_for_new_child(session, caregiver_id, child.id, "Asia/Shanghai", now)
            child_ids.append(child.id)
    return Family(caregiver_id, tuple(child_ids))


async def flag(db: Database, child_id: int, level: Level, now: datetime, reason: str = "worried_other") -> int:
    """An "I'm worried" flag on a child, as the button raises it; the id of the case it opened or joined."""
    async with db.session() as session:
        raised = await raise_flag(
            session,
            child=await session.get(Child, child_id),
            level=level,
            source=FlagSource.WORRIED,
            evidence=Evidence(reasons=(reason,)),
            raised_by_id=None,
            now=now,
        )
        return raised.case.id
