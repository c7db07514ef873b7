"""Changes to the staff who see cases. Removing a counsellor returns their open cases, and so does finding that a
counsellor can no longer be reached (they blocked the bot), so that nobody waits on them; removing a counsellor or
a supervisor takes back the messages about those cases still waiting for them.

The returned cases wait in Unassigned again, with a fresh time limit for taking them, and the school's other
reachable counsellors (or, when none is left, the region's supervisors) are told through the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import log as audit
from bot.cases import deadlines, routing
from bot.cases.models import Case, CaseStatus, EventKind, FollowUp, FollowUpStatus
from bot.cases.severity import Level, most_severe
from bot.cases.timeline import add_event
from bot.checkins.timing import outside_quiet_hours
from bot.errors import InvalidInput
from bot.outbox.cancel import about_cases, cancel_pending
from bot.outbox.enqueue import enqueue
from bot.outbox.models import Priority
from bot.people.models import Person
from bot.schools.models import RegionSupervisor, School, SchoolCounsellor
from bot.schools.service import get_school

# Why cases came back, for the message to the room.
REMOVED = "removed"
UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Removal:
    school_id: int
    person_id: int
    returned_case_ids: tuple[int, ...]
    cancelled_follow_ups: int
    told_person_ids: tuple[int, ...]
    cancelled_messages: int  # alerts, reminders and replies about the school's cases, still waiting for them


async def remove_counsellor(
    session: AsyncSession,
    *,
    school_id: int,
    telegram_user_id: int,
    now: datetime,
    targets: deadlines.Targets | None = None,
) -> Removal:
    school = await get_school(session, school_id)
    person_id = await session.scalar(select(Person.id).where(Person.telegram_user_id == telegram_user_id))
    if person_id is None:
        raise InvalidInput("unknown_person", f"nobody with Telegram id {telegram_user_id} uses Shouhu")
    link = await session.scalar(
        select(SchoolCounsellor).where(SchoolCounsellor.school_id == school.id, SchoolCounsellor.person_id == person_id)
    )
    if link is None:
        raise InvalidInput(
            "not_a_counsellor", f"Telegram id {telegram_user_id} is not a counsellor of school {school.id}"
        )
    link_id = link.id
    await session.delete(link)
    audit.record(session, "school.counsellor_removed", "school", school.id, actor="cli", person_id=person_id)

    cases = await _return_cases(session, person_id, now, "counsellor_removed", targets, school_id=school.id)
    # A removed counsellor must not hear about the school's children any more, follow-ups included.
    cancelled = await session.execute(
        update(FollowUp)
        .where(
            FollowUp.counsellor_id == person_id,
            FollowUp.status.in_([FollowUpStatus.PENDING, FollowUpStatus.DUE]),
            FollowUp.case_id.in_(select(Case.id).where(Case.school_id == school.id)),
        )
        .values(status=FollowUpStatus.CANCELLED)
    )
    school_cases = (await session.scalars(select(Case.id).where(Case.school_id == school.id))).all()
    messages = await cancel_pending(session, person_id, about_cases(school_cases))
    told: list[int] = []
    if cases:
        # The removed link's id: a retried removal can never tell anyone twice.
        told = await _tell(session, school, cases, now, REMOVED, dedupe=f"returned:{link_id}")
    return Removal(
        school_id=school.id,
        person_id=person_id,
        returned_case_ids=tuple(case.id for case in cases),
        cancelled_follow_ups=cancelled.rowcount,
        told_person_ids=tuple(told),
        cancelled_messages=messages,
    )


@dataclass(frozen=True)
class SupervisorRemoval:
    region: str
    person_id: int
    cancelled_messages: int  # escalations, closures to approve and digests of the region, still waiting


async def remove_supervisor(session: AsyncSession, *, region: str, telegram_user_id: int) -> SupervisorRemoval:
    """A supervisor leaves a region. Cases need no change: supervisors are told, never assigned."""
    person_id = await session.scalar(select(Person.id).where(Person.telegram_user_id == telegram_user_id))
    if person_id is None:
        raise InvalidInput("unknown_person", f"nobody with Telegram id {telegram_user_id} uses Shouhu")
    link = await session.scalar(
        select(RegionSupervisor).where(RegionSupervisor.region == region, RegionSupervisor.person_id == person_id)
    )
    if link is None:
        raise InvalidInput(
            "not_a_supervisor", f"Telegram id {telegram_user_id} is not a supervisor of region {region!r}"
        )
    await session.delete(link)
    audit.record(session, "region.supervisor_removed", "region", None, actor="cli", region=region, person_id=person_id)
    region_cases = set(
        (
            await session.scalars(
                select(Case.id).join(School, School.id == Case.school_id).where(School.region == region)
            )
        ).all()
    )
    in_region = about_cases(region_cases)
    messages = await cancel_pending(
        session, person_id, lambda params: in_region(params) or params.get("region") == region
    )
    return SupervisorRemoval(region=region, person_id=person_id, cancelled_messages=messages)


async def return_cases_of_unreachable(session: AsyncSession, person_id: int, now: datetime) -> list[Case]:
    """`person_id` was found unreachable: the cases they had taken go back to Unassigned, and each school's room is
    told, so that someone else takes them. A person with no taken case (or called again) changes nothing."""
    cases = await _return_cases(session, person_id, now, "counsellor_unreachable", None)
    for school_id in dict.fromkeys(case.school_id for case in cases):
        school = await session.get(School, school_id)
        await _tell(session, school, [case for case in cases if case.school_id == school_id], now, UNREACHABLE)
    return cases


async def _return_cases(
    session: AsyncSession,
    person_id: int,
    now: datetime,
    reason: str,
    targets: deadlines.Targets | None,
    *,
    school_id: int | None = None,
) -> list[Case]:
    """The open cases `person_id` has taken (at `school_id`, or anywhere), back to Unassigned with a fresh clock."""
    statement = select(Case).where(Case.assigned_to_id == person_id, Case.status != CaseStatus.CLOSED)
    if school_id is not None:
        statement = statement.where(Case.school_id == school_id)
    cases = list((await session.scalars(statement.order_by(Case.id).with_for_update())).all())
    for case in cases:
        case.status, case.assigned_to_id, case.taken_at, case.updated_at = CaseStatus.NEW, None, None, now
        add_event(session, case, EventKind.RETURNED, actor_id=None, now=now, reason=reason, counsellor=person_id)
        await deadlines.start_take_clock(session, case, now, targets=targets)
    return cases


async def _tell(
    session: AsyncSession, school: School, cases: Sequence[Case], now: datetime, why: str, *, dedupe: str | None = None
) -> list[int]:
    """One row per remaining reachable counsellor; the region's supervisors when nobody is left to take the cases."""
    recipients, _audience = await routing.room_of(session, school)
    severity = most_severe(*(case.severity for case in cases))
    params = {"school": school.name, "count": len(cases), "case_ids": [case.id for case in cases], "why": why}
    for person_id in dict.fromkeys(recipients):
        await enqueue(
            session,
            person_id,
            "cases_returned",
            params,
            priority=Priority.URGENT if severity is Level.URGENT else Priority.NORMAL,
            not_before=now if severity.rank >= Level.HIGH.rank else outside_quiet_hours(now, school.timezone),
            dedupe_key=None if dedupe is None else f"{dedupe}:{person_id}",
        )
    return list(dict.fromkeys(recipients))
