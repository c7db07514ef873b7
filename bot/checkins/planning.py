"""Planning check-ins: each caregiver-child pair always has its next weekly check-in as a SCHEDULED row.

The next row is planned when a child is added, when a check-in opens, and when the caregiver moves their slot.
A unique (caregiver, child, due_at) constraint means planning twice never creates two rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.flags import age_of
from bot.checkins.models import Checkin, CheckinOrigin, CheckinSchedule, CheckinStatus
from bot.checkins.questionnaire import LEFT_OUT, Questionnaire
from bot.checkins.timing import next_slot
from bot.families.models import CaregiverLink, Child


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


async def opening_answers(
    session: AsyncSession, q: Questionnaire, caregiver_id: int, child: Child, now: datetime, *, opening: int | None
) -> dict[str, str]:
    """What a check-in opens with: the questions it leaves out for the child's age, and those with `every_weeks`
    (the caregiver's own coping) answered lately, or waiting in another open check-in (a second child's, the
    same evening). `opening` is the id of the check-in being opened, when it already has one."""
    asked_lately = set()
    for question in q.questions:
        if question.every_weeks is None:
            continue
        recent = await session.execute(
            select(Checkin.status, Checkin.answers).where(
                Checkin.caregiver_id == caregiver_id,
                Checkin.opened_at >= now - timedelta(weeks=question.every_weeks),
                Checkin.id != opening if opening is not None else true(),
            )
        )
        for status, answers in recent.all():
            answer = answers.get(question.id)
            waiting = status is CheckinStatus.OPEN and answer is None
            if waiting or answer not in (None, LEFT_OUT):
                asked_lately.add(question.id)
    return q.left_out(age_of(child, now), asked_lately)
