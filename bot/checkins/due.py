"""What the scheduler wakes: check-ins that fall due, reminders after 24 hours, and misses after 72 hours.

Each row moves with a compare-and-set update in its own transaction, so two ticks (or a tick replayed after a
crash) can never open, remind or miss the same check-in twice, and a tick that dies half-way leaves every row
either moved with its outbox message or not moved at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.flags import Evidence, raise_flag
from bot.cases.models import FlagSource
from bot.cases.severity import Level
from bot.checkins.models import Checkin, CheckinOrigin, CheckinStatus
from bot.checkins.planning import opening_answers, plan_next, schedule_of
from bot.checkins.questionnaire import Questionnaire, assess_missed
from bot.checkins.timing import outside_quiet_hours
from bot.db import Database
from bot.families.models import CaregiverLink, Child
from bot.outbox.enqueue import enqueue
from bot.schools.models import School

REMIND_AFTER = timedelta(hours=24)
MISSED_AFTER = timedelta(hours=72)


@dataclass
class DueReport:
    opened: int = 0
    reminded: int = 0
    missed: int = 0
    flagged: int = 0


async def run_due(db: Database, questionnaire: Questionnaire, now: datetime) -> DueReport:
    report = DueReport()
    async with db.session() as session:
        to_open = await _ids(session, Checkin.status == CheckinStatus.SCHEDULED, Checkin.due_at <= now)
        to_miss = await _ids(session, Checkin.status == CheckinStatus.OPEN, Checkin.due_at <= now - MISSED_AFTER)
        to_remind = await _ids(
            session,
            Checkin.status == CheckinStatus.OPEN,
            Checkin.origin == CheckinOrigin.SCHEDULED,
            Checkin.reminded_at.is_(None),
            Checkin.due_at <= now - REMIND_AFTER,
            Checkin.due_at > now - MISSED_AFTER,
        )
    for checkin_id in to_open:
        async with db.session() as session:
            await _open(session, checkin_id, questionnaire, now, report)
    for checkin_id in to_miss:
        async with db.session() as session:
            await _miss(session, checkin_id, questionnaire, now, report)
    for checkin_id in to_remind:
        async with db.session() as session:
            await _remind(session, checkin_id, now, report)
    return report


async def _ids(session: AsyncSession, *conditions) -> list[int]:
    return list((await session.scalars(select(Checkin.id).where(*conditions).order_by(Checkin.due_at))).all())


async def _move(session: AsyncSession, checkin_id: int, expected: CheckinStatus, **values) -> Checkin | None:
    """Compare-and-set: the row, if it was still in `expected` status and is now moved; else None."""
    result = await session.execute(
        update(Checkin).where(Checkin.id == checkin_id, Checkin.status == expected).values(**values)
    )
    if result.rowcount != 1:
        return None
    return await session.get(Checkin, checkin_id, populate_existing=True)


async def _context(session: AsyncSession, checkin: Checkin) -> tuple[Child, School] | None:
    """The child and school, or None when the caregiver no longer cares for the child."""
    linked = await session.scalar(
        select(CaregiverLink.id).where(
            CaregiverLink.person_id == checkin.caregiver_id, CaregiverLink.child_id == checkin.child_id
        )
    )
    if linked is None:
        return None
    child = await session.get(Child, checkin.child_id)
    return child, await session.get(School, child.school_id)


async def _open(session: AsyncSession, checkin_id: int, q: Questionnaire, now: datetime, report: DueReport) -> None:
    checkin = await _move(session, checkin_id, CheckinStatus.SCHEDULED, status=CheckinStatus.OPEN, opened_at=now)
    if checkin is None:
        return
    found = await _context(session, checkin)
    if found is None:
        checkin.status = CheckinStatus.CANCELLED
        return
    child, school = found
    schedule = await schedule_of(session, checkin.caregiver_id, school.timezone)
    await plan_next(session, schedule, child.id, after=max(checkin.due_at, now))
    if checkin.due_at <= now - MISSED_AFTER:
        # The service was down for the whole answer window: asking now about a week long gone helps nobody.
        await _record_miss(session, checkin, child, q, now, report)
        return
    report.opened += 1
    checkin.questionnaire_version = q.version
    checkin.answers = await opening_answers(session, q, checkin.caregiver_id, child, now, opening=checkin.id)
    await enqueue(
        session,
        checkin.caregiver_id,
        "checkin_invite",
        {"checkin_id": checkin.id, "nickname": child.nickname},
        not_before=outside_quiet_hours(now, school.timezone),
        dedupe_key=f"checkin:{checkin.id}:invite",
        resend_if_unsure=False,
    )


async def _remind(session: AsyncSession, checkin_id: int, now: datetime, report: DueReport) -> None:
    result = await session.execute(
        update(Checkin)
        .where(Checkin.id == checkin_id, Checkin.status == CheckinStatus.OPEN, Checkin.reminded_at.is_(None))
        .values(reminded_at=now)
    )
    if result.rowcount != 1:
        return
    checkin = await session.get(Checkin, checkin_id)
    found = await _context(session, checkin)
    if found is None:
        return
    child, school = found
    report.reminded += 1
    await enqueue(
        session,
        checkin.caregiver_id,
        "checkin_reminder",
        {"checkin_id": checkin.id, "nickname": child.nickname},
        not_before=outside_quiet_hours(now, school.timezone),
        dedupe_key=f"checkin:{checkin.id}:reminder",
        resend_if_unsure=False,
    )


async def _miss(session: AsyncSession, checkin_id: int, q: Questionnaire, now: datetime, report: DueReport) -> None:
    checkin = await _move(session, checkin_id, CheckinStatus.OPEN, status=CheckinStatus.MISSED)
    if checkin is None:
        return
    found = await _context(session, checkin)
    if found is not None:
        await _record_miss(session, checkin, found[0], q, now, report)


async def _record_miss(
    session: AsyncSession, checkin: Checkin, child: Child, q: Questionnaire, now: datetime, report: DueReport
) -> None:
    checkin.status = CheckinStatus.MISSED
    report.missed += 1
    if checkin.origin is not CheckinOrigin.SCHEDULED:
        return
    streak = await missed_in_a_row(session, checkin.caregiver_id, child.id)
    assessment = assess_missed(q, streak)
    # Flag when the streak reaches the threshold, not again each week after: the open case already says so.
    if assessment.level is Level.NONE or assess_missed(q, streak - 1).level is not Level.NONE:
        return
    await raise_flag(
        session,
        child=child,
        level=assessment.level,
        source=FlagSource.MISSED,
        evidence=Evidence(reasons=assessment.reasons, missed_in_a_row=streak, checkin_id=checkin.id),
        raised_by_id=None,
        now=now,
    )
    report.flagged += 1


async def missed_in_a_row(session: AsyncSession, caregiver_id: int, child_id: int) -> int:
    """Scheduled check-ins missed since the pair's last completed one (of any origin)."""
    rows = await session.execute(
        select(Checkin.status, Checkin.origin)
        .where(
            Checkin.caregiver_id == caregiver_id,
            Checkin.child_id == child_id,
            Checkin.status.in_([CheckinStatus.COMPLETED, CheckinStatus.MISSED]),
        )
        .order_by(Checkin.due_at.desc())
    )
    streak = 0
    for status, origin in rows:
        if status is CheckinStatus.COMPLETED:
            break
        if origin is CheckinOrigin.SCHEDULED:
            streak += 1
    return streak
