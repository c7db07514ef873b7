"""Planning tips: who a person is to which children, their schedule, and the next SCHEDULED delivery row.

A person with tips switched on always has their next weekly tip as a row. It is planned when the scheduler first
sees them, when a tip goes out, and when they change their days or hour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.timing import local_date, next_slot
from bot.families.models import CaregiverLink, Child, ParentLink
from bot.guidance.content import AgeBand, GuidanceContent, Tip, Track, tips_for
from bot.guidance.models import DeliveryOrigin, DeliveryStatus, GuidanceDelivery, GuidanceSchedule
from bot.guidance.selection import band_of
from bot.schools.models import School


@dataclass(frozen=True)
class Family:
    """The children a person cares for and the children they are a parent of, with the school's time zone."""

    cared_for: tuple[Child, ...]
    own: tuple[Child, ...]
    timezone: str

    def bands(self, track: Track, today) -> set[AgeBand]:
        children = self.cared_for if track is Track.CAREGIVER else self.own
        return {band_of(child.birth_year, child.birth_month, today) for child in children}

    def tracks(self) -> list[Track]:
        return [track for track, children in ((Track.CAREGIVER, self.cared_for), (Track.PARENT, self.own)) if children]

    def candidates(self, content: GuidanceContent, now: datetime, topic: str | None = None) -> list[Tip]:
        today = local_date(now, self.timezone)
        found: list[Tip] = []
        for track in self.tracks():
            found += tips_for(content, track, self.bands(track, today), topic)
        return found


async def family_of(session: AsyncSession, person_id: int) -> Family | None:
    """None when the person is neither a caregiver nor a parent: they get no tips."""
    cared_for = tuple(
        (
            await session.scalars(
                select(Child)
                .join(CaregiverLink, CaregiverLink.child_id == Child.id)
                .where(CaregiverLink.person_id == person_id)
            )
        ).all()
    )
    own = tuple(
        (
            await session.scalars(
                select(Child).join(ParentLink, ParentLink.child_id == Child.id).where(ParentLink.person_id == person_id)
            )
        ).all()
    )
    first = (cared_for or own or (None,))[0]
    if first is None:
        return None
    school = await session.get(School, first.school_id)
    return Family(cared_for=cared_for, own=own, timezone=school.timezone)


async def schedule_of(session: AsyncSession, person_id: int, timezone: str) -> GuidanceSchedule:
    """The person's schedule, created with the default (Tuesday and Friday, 19:00) on first use."""
    schedule = await session.get(GuidanceSchedule, person_id)
    if schedule is None:
        schedule = GuidanceSchedule(person_id=person_id, timezone=timezone)
        session.add(schedule)
        await session.flush()
    return schedule


async def plan_next(session: AsyncSession, schedule: GuidanceSchedule, after: datetime) -> GuidanceDelivery | None:
    """The person's next SCHEDULED tip at the first of their slots after `after`, unless one is planned already."""
    if not schedule.weekdays:
        return None
    planned = await session.scalar(
        select(GuidanceDelivery).where(
            GuidanceDelivery.person_id == schedule.person_id,
            GuidanceDelivery.origin == DeliveryOrigin.SCHEDULED,
            GuidanceDelivery.status == DeliveryStatus.SCHEDULED,
        )
    )
    if planned is not None:
        return planned
    due_at = min(next_slot(after, weekday, schedule.hour * 60, schedule.timezone) for weekday in schedule.weekdays)
    delivery = GuidanceDelivery(
        person_id=schedule.person_id,
        source_key=f"slot:{schedule.person_id}:{due_at:%Y%m%d%H%M}",
        origin=DeliveryOrigin.SCHEDULED,
        due_at=due_at,
    )
    session.add(delivery)
    await session.flush()
    return delivery


async def replan(session: AsyncSession, schedule: GuidanceSchedule, now: datetime) -> None:
    """After a change of days or hour: the planned tip (no tip chosen yet) is dropped and planned again."""
    await session.execute(
        delete(GuidanceDelivery).where(
            GuidanceDelivery.person_id == schedule.person_id,
            GuidanceDelivery.origin == DeliveryOrigin.SCHEDULED,
            GuidanceDelivery.status == DeliveryStatus.SCHEDULED,
        )
    )
    await plan_next(session, schedule, now)


async def last_sent(session: AsyncSession, person_id: int) -> Mapping[str, datetime]:
    """Tip id -> when the person last got or opened it: what selection must not repeat."""
    rows = await session.execute(
        select(GuidanceDelivery.tip_id, GuidanceDelivery.sent_at).where(
            GuidanceDelivery.person_id == person_id,
            GuidanceDelivery.status == DeliveryStatus.SENT,
            GuidanceDelivery.tip_id.is_not(None),
        )
    )
    seen: dict[str, datetime] = {}
    for tip_id, sent_at in rows:
        if tip_id not in seen or sent_at > seen[tip_id]:
            seen[tip_id] = sent_at
    return seen
