"""Planning check-ins: each caregiver-child pair always has its next weekly check-in as a SCHEDULED row.

The next row is planned when a child is added, when a check-in opens, and when the caregiver moves their slot.
A unique (caregiver, child, due_at) constraint means planning twice never creates two rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.models import Checkin, CheckinOrigin, CheckinSchedule, CheckinStatus
from bot.checkins.timing import next_slot
from bot.families.models import CaregiverLink


async def plan_for_new_child(session: AsyncSession, caregiver_id: int, child_id: int, timezone: str, now: datetime):
    schedule = await schedule_of(session, caregiver_id, timezone)
    return await plan_next(session, schedule, child_id, now)


async def schedule_of(session: AsyncSession, person_id: int, timezone: str) -> CheckinSchedule:
    """The caregiver's schedule, created with the default slot (Sunday 19:00) on first use."""
    schedule = await session.get(CheckinSchedule, person_id)
    if schedule is None:
        schedule = CheckinSchedule(person_id=person_id, timezone=timezone)
        session.add(schedule)
        await session.flush()
    return schedule


async def plan_next(session: AsyncSession, schedule: CheckinSchedule, child_id: int, after: datetime) -> Checkin | None:
    """The pair's next SCHEDULED check-in, planned at the first slot after `after` unless one is planned already."""
    if schedule.paused:
        return None
    planned = await session.scalar(
        select(Checkin).where(
            Checkin.caregiver_id == schedule.person_id,
            Checkin.child_id == child_id,
            Checkin.status == CheckinStatus.SCHEDULED,
        )
    )
    if planned is not None:
        return planned
    due_at = next_slot(after, schedule.weekday, schedule.minute_of_day, schedule.timezone)
    checkin = Checkin(
        child_id=child_id,
        caregiver_id=schedule.person_id,
        origin=CheckinOrigin.SCHEDULED,
        due_at=due_at,
    )
    session.add(checkin)
    await session.flush()
    return checkin


async def move_slot(
    session: AsyncSession, schedule: CheckinSchedule, weekday: int, minute_of_day: int, now: datetime
) -> None:
    """Change the weekly slot: the planned check-ins move with it; open ones stay as they are."""
    if not (0 <= weekday <= 6 and 0 <= minute_of_day < 24 * 60):
        raise ValueError("slot out of range")
    schedule.weekday, schedule.minute_of_day = weekday, minute_of_day
    # Move planned rows in place rather than cancel and re-plan: moving back to a slot must not collide with a
    # cancelled row of the same time.
    planned = await session.scalars(
        select(Checkin).where(Checkin.caregiver_id == schedule.person_id, Checkin.status == CheckinStatus.SCHEDULED)
    )
    for checkin in planned.all():
        checkin.due_at = next_slot(now, weekday, minute_of_day, schedule.timezone)
    child_ids = await session.scalars(
        select(CaregiverLink.child_id).where(CaregiverLink.person_id == schedule.person_id)
    )
    for child_id in child_ids.all():
        await plan_next(session, schedule, child_id, now)
