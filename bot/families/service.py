"""Children, their caregivers and parents: adding, linking, checking who may act for which child."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import log as audit
from bot.errors import InvalidInput
from bot.families.models import CaregiverLink, CaregiverRelation, Child, Household, ParentLink, ParentRelation

NICKNAME_MAX = 20
OLDEST_CHILD_AGE = 17
# A spreadsheet reads a cell starting with one of these as a formula (full-width forms too, once normalised).
FORMULA_STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")


def clean_nickname(text: str) -> str:
    """A child's nickname as we store it; refuses empty, overlong or invisible-character input."""
    nickname = " ".join(text.split())
    if not nickname:
        raise InvalidInput("nickname_empty")
    if len(nickname) > NICKNAME_MAX:
        raise InvalidInput("nickname_too_long")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in nickname) or nickname.startswith("/"):
        raise InvalidInput("nickname_characters")
    if nickname.startswith(FORMULA_STARTS):
        raise InvalidInput("nickname_formula")
    return nickname


def birth_years(today: date) -> list[int]:
    """The birth years we offer, youngest first: school-age children and their younger siblings."""
    return list(range(today.year, today.year - OLDEST_CHILD_AGE - 1, -1))


def check_birth_date(year: int, month: int | None, today: date) -> None:
    if year not in birth_years(today):
        raise InvalidInput("birth_year_range")
    if month is not None and not (1 <= month <= 12 and (year, month) <= (today.year, today.month)):
        raise InvalidInput("birth_month_range")


@dataclass(frozen=True)
class ChildOfCaregiver:
    child: Child
    relation: CaregiverRelation
    parents: tuple[ParentLink, ...]


async def add_child(
    session: AsyncSession,
    *,
    caregiver_id: int,
    school_id: int,
    nickname: str,
    birth_year: int,
    birth_month: int | None,
    relation: CaregiverRelation,
    now: datetime,
) -> Child:
    nickname = clean_nickname(nickname)
    check_birth_date(birth_year, birth_month, now.date())
    household_id = await session.scalar(
        select(Child.household_id)
        .join(CaregiverLink, CaregiverLink.child_id == Child.id)
        .where(CaregiverLink.person_id == caregiver_id, Child.school_id == school_id)
        .limit(1)
    )
    if household_id is None:
        household = Household(school_id=school_id, created_at=now)
        session.add(household)
        await session.flush()
        household_id = household.id
    child = Child(
        household_id=household_id,
        school_id=school_id,
        nickname=nickname,
        birth_year=birth_year,
        birth_month=birth_month,
        created_at=now,
    )
    session.add(child)
    await session.flush()
    session.add(CaregiverLink(person_id=caregiver_id, child_id=child.id, relation=relation, created_at=now))
    audit.record(session, "child.added", "child", child.id, actor_person_id=caregiver_id, school_id=school_id)
    return child


async def children_of_caregiver(session: AsyncSession, person_id: int) -> list[ChildOfCaregiver]:
    rows = (
        await session.execute(
            select(Child, CaregiverLink.relation)
            .join(CaregiverLink, CaregiverLink.child_id == Child.id)
            .where(CaregiverLink.person_id == person_id)
            .order_by(Child.id)
        )
    ).all()
    result = []
    for child, relation in rows:
        parents = tuple((await session.scalars(select(ParentLink).where(ParentLink.child_id == child.id))).all())
        result.append(ChildOfCaregiver(child=child, relation=relation, parents=parents))
    return result


async def children_of_parent(session: AsyncSession, person_id: int) -> list[Child]:
    statement = select(Child).join(ParentLink, ParentLink.child_id == Child.id).where(ParentLink.person_id == person_id)
    return list((await session.scalars(statement.order_by(Child.id))).all())


async def child_for_caregiver(session: AsyncSession, person_id: int, child_id: int) -> Child | None:
    """The child, only if this person cares for them: the check behind every caregiver action on a child."""
    return await session.scalar(
        select(Child)
        .join(CaregiverLink, CaregiverLink.child_id == Child.id)
        .where(CaregiverLink.person_id == person_id, Child.id == child_id)
    )


async def caregiver_ids(session: AsyncSession, child_id: int) -> list[int]:
    return list(
        (await session.scalars(select(CaregiverLink.person_id).where(CaregiverLink.child_id == child_id))).all()
    )


async def parent_slot_taken(session: AsyncSession, child_id: int, relation: ParentRelation) -> bool:
    """A child has at most one linked mother and one linked father."""
    statement = select(ParentLink.id).where(ParentLink.child_id == child_id, ParentLink.relation == relation)
    return await session.scalar(statement) is not None


async def link_parent(
    session: AsyncSession, *, person_id: int, child_id: int, relation: ParentRelation, now: datetime
) -> ParentLink:
    link = ParentLink(person_id=person_id, child_id=child_id, relation=relation, created_at=now)
    session.add(link)
    await session.flush()
    audit.record(session, "parent.linked", "child", child_id, actor_person_id=person_id, relation=relation.value)
    return link


async def children_in_care_of(session: AsyncSession, person_id: int) -> list[Child]:
    """Every child this person cares for or is a parent of: whom their worries can be about."""
    statement = (
        select(Child)
        .outerjoin(CaregiverLink, (CaregiverLink.child_id == Child.id) & (CaregiverLink.person_id == person_id))
        .outerjoin(ParentLink, (ParentLink.child_id == Child.id) & (ParentLink.person_id == person_id))
        .where((CaregiverLink.id.is_not(None)) | (ParentLink.id.is_not(None)))
        .distinct()
        .order_by(Child.id)
    )
    return list((await session.scalars(statement)).all())
