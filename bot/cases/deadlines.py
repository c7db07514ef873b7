"""Time limits for taking a case, the reminders and escalations when they pass, and follow-ups that fall due.

A case that opens, or whose severity rises, starts a "take clock": two durable timers, REMIND at the severity's
target and ESCALATE at twice it. Taking the case stops the clock. A tick fires due timers with a compare-and-set
on the timer row, one transaction each, so a replayed tick or a restart never reminds or escalates twice.

Targets (settings, in the school's time zone): urgent counts wall-clock minutes, day and night; high counts school
hours, and a high flag raised outside school hours is due half an hour into the next school day (08:30); routine
counts school days. School days are Monday to Friday between SHOUHU_SCHOOL_DAY_START and SHOUHU_SCHOOL_DAY_END;
public holidays are not known, so they count as school days.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import routing
from bot.cases.models import (
    UNASSIGNED_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    CaseTimer,
    EventKind,
    FollowUp,
    FollowUpStatus,
    TimerKind,
)
from bot.cases.severity import Level
from bot.cases.timeline import add_event
from bot.checkins.timing import outside_quiet_hours
from bot.config import Settings, get_settings
from bot.db import Database
from bot.families.models import Child
from bot.outbox.enqueue import enqueue
from bot.outbox.models import Priority
from bot.schools.models import School

log = logging.getLogger(__name__)

# A high flag raised outside school hours is due this long into the next school day (08:00 + 30 min = 08:30).
HIGH_OUT_OF_HOURS = timedelta(minutes=30)
# What a counsellor does on a case that counts as answering it; viewing the card alone does not.
RESPONSES = (
    EventKind.TAKEN,
    EventKind.HANDED_OVER,
    EventKind.NOTE,
    EventKind.MESSAGE_TO_CAREGIVER,
    EventKind.PARENT_ASKED_TO_CALL,
    EventKind.IN_CONTACT,
    EventKind.REFERRED,
    EventKind.REFERRAL_UPDATED,
    EventKind.FOLLOW_UP_SET,
    EventKind.FOLLOW_UP_DONE,
    EventKind.SEVERITY_CHANGED,
    EventKind.CLOSURE_REQUESTED,
    EventKind.CLOSED,
)


@dataclass(frozen=True)
class Targets:
    urgent: timedelta  # wall-clock time, day and night
    high: timedelta  # school time
    routine_days: int  # school days
    day_start: time
    day_end: time

    @classmethod
    def from_settings(cls, settings: Settings) -> Targets:
        return cls(
            urgent=timedelta(minutes=settings.take_urgent_minutes),
            high=timedelta(hours=settings.take_high_school_hours),
            routine_days=settings.take_routine_school_days,
            day_start=settings.school_day_start,
            day_end=settings.school_day_end,
        )

    @property
    def school_day(self) -> timedelta:
        return datetime.combine(date.min, self.day_end) - datetime.combine(date.min, self.day_start)


# -- target computation (pure) ---------------------------------------------------------------------------------


def take_deadline(level: Level, since: datetime, timezone: str, targets: Targets, *, times: int = 1) -> datetime:
    """When a case of `level` whose clock started at `since` must be taken, as UTC; `times=2` for escalation.

    Twice the target is twice the duration, counted the same way (wall-clock, school hours or school days).
    """
    if level is Level.URGENT:
        return since + targets.urgent * times
    if level is Level.HIGH:
        amount = targets.high if in_school_hours(since, timezone, targets) else HIGH_OUT_OF_HOURS
    elif level is Level.ROUTINE:
        amount = targets.school_day * targets.routine_days
    else:
        raise ValueError("a case needs a level above none")
    return add_school_time(since, amount * times, timezone, targets)


def in_school_hours(at: datetime, timezone: str, targets: Targets) -> bool:
    local = at.astimezone(ZoneInfo(timezone))
    return _is_school_day(local.date()) and targets.day_start <= local.time() < targets.day_end


def add_school_time(start: datetime, amount: timedelta, timezone: str, targets: Targets) -> datetime:
    """`start` plus `amount` of school time, carried over from one school day into the next; as UTC.

    Counting starts at `start` if it falls in school hours, else at the start of the next school day.
    """
    zone = ZoneInfo(timezone)
    local = start.astimezone(zone)
    day = local.date()
    if _is_school_day(day) and local.time() < targets.day_start:
        cursor = datetime.combine(day, targets.day_start, tzinfo=zone)
    elif in_school_hours(start, timezone, targets):
        cursor = local
    else:
        cursor = datetime.combine(_next_school_day(day), targets.day_start, tzinfo=zone)
    left = amount
    while True:
        day_end = datetime.combine(cursor.date(), targets.day_end, tzinfo=zone)
        if cursor + left <= day_end:
            return (cursor + left).astimezone(UTC)
        left -= day_end - cursor
        cursor = datetime.combine(_next_school_day(cursor.date()), targets.day_start, tzinfo=zone)


def _is_school_day(day: date) -> bool:
    return day.weekday() < 5  # Monday to Friday


def _next_school_day(day: date) -> date:
    day += timedelta(days=1)
    while not _is_school_day(day):
        day += timedelta(days=1)
    return day


# -- the take clock ----------------------------------------------------------------------------------------------


async def start_take_clock(session: AsyncSession, case: Case, now: datetime, *, targets: Targets | None = None) -> None:
    """(Re)start the time limit for taking `case` at its current severity, from `now`, in the caller's transaction."""
    targets = targets or Targets.from_settings(get_settings())
    await stop_take_clock(session, case, now)
    school = await session.get(School, case.school_id)
    for kind, times in ((TimerKind.REMIND, 1), (TimerKind.ESCALATE, 2)):
        due_at = take_deadline(case.severity, now, school.timezone, targets, times=times)
        # A restart can land on the same due time as a timer it just cancelled (08:30 after two evening
        # restarts): (case, kind, due_at) is unique, so that timer is revived rather than added again.
        timer = await session.scalar(
            select(CaseTimer)
            .where(CaseTimer.case_id == case.id, CaseTimer.kind == kind, CaseTimer.due_at == due_at)
            .execution_options(populate_existing=True)
        )
        if timer is None:
            session.add(CaseTimer(case_id=case.id, kind=kind, severity=case.severity, due_at=due_at))
        elif timer.fired_at is None:
            timer.cancelled_at, timer.severity = None, case.severity
    await session.flush()


async def stop_take_clock(session: AsyncSession, case: Case, now: datetime) -> None:
    """Cancel the case's timers that have not fired, e.g. because a counsellor took it."""
    await session.execute(
        update(CaseTimer)
        .where(CaseTimer.case_id == case.id, CaseTimer.fired_at.is_(None), CaseTimer.cancelled_at.is_(None))
        .values(cancelled_at=now)
    )


# -- the tick ---------------------------------------------------------------------------------------------------


@dataclass
class DeadlineReport:
    reminded: int = 0
    escalated: int = 0
    follow_ups_due: int = 0
    messages: int = 0  # outbox rows added: the sender has work


async def run_due_timers(db: Database, now: datetime) -> DeadlineReport:
    report = DeadlineReport()
    async with db.session() as session:
        due = await session.scalars(
            select(CaseTimer.id)
            .where(CaseTimer.fired_at.is_(None), CaseTimer.cancelled_at.is_(None), CaseTimer.due_at <= now)
            .order_by(CaseTimer.due_at, CaseTimer.id)
        )
        timer_ids = list(due.all())
    for timer_id in timer_ids:
        async with db.session() as session:
            await _fire(session, timer_id, now, report)
    return report


async def _fire(session: AsyncSession, timer_id: int, now: datetime, report: DeadlineReport) -> None:
    claimed = await session.execute(
        update(CaseTimer)
        .where(CaseTimer.id == timer_id, CaseTimer.fired_at.is_(None), CaseTimer.cancelled_at.is_(None))
        .values(fired_at=now)
    )
    if claimed.rowcount != 1:
        return  # cancelled meanwhile, or another tick fired it
    timer = await session.get(CaseTimer, timer_id, populate_existing=True)
    case = await session.get(Case, timer.case_id)
    if case.status is CaseStatus.CLOSED or await _answered(session, case):
        # Nothing is late any more: the timer is cancelled, not fired, so the record says no message went out.
        timer.fired_at, timer.cancelled_at = None, now
        return
    school = await session.get(School, case.school_id)
    child = await session.get(Child, case.child_id)
    unassigned = case.assigned_to_id is None
    if timer.kind is TimerKind.REMIND:
        # Its counsellor, or whoever got the alert (routing.py): the room, or the supervisors when it has nobody.
        recipients, audience = await routing.recipients_for(session, case, school, only_assignee=True)
        kind, event = "case_reminder", EventKind.REMINDED
        report.reminded += 1
    else:
        recipients, audience = await routing.supervisors_of(session, school.region), routing.SUPERVISORS
        kind, event = "case_escalation", EventKind.ESCALATED
        report.escalated += 1
        if not recipients:
            log.error("case %d passed twice its time limit, but no supervisor of its region can be reached", case.id)
    params = {
        "case_id": case.id,
        "severity": timer.severity.value,
        "school": school.name,
        "nickname": child.nickname,
        "assigned": not unassigned,
        "audience": audience,
    }
    urgent = timer.severity is Level.URGENT
    not_before = now if timer.severity.rank >= Level.HIGH.rank else outside_quiet_hours(now, school.timezone)
    for person_id in dict.fromkeys(recipients):
        message = await enqueue(
            session,
            person_id,
            kind,
            params,
            priority=Priority.URGENT if urgent else Priority.NORMAL,
            not_before=not_before,
            dedupe_key=f"timer:{timer.id}:{person_id}",
        )
        report.messages += message is not None
    add_event(
        session,
        case,
        event,
        actor_id=None,
        now=now,
        timer_id=timer.id,
        severity=timer.severity.value,
        audience=audience,
        notified=len(set(recipients)),
    )


async def _answered(session: AsyncSession, case: Case) -> bool:
    """Whether a counsellor has acted on the case since its clock started.

    A case waiting to be taken is never answered: taking it stops the clock. An assigned case has a running clock
    only when its severity rose after it was taken (see flags.raise_flag); the assignee answers it by doing
    anything on the case since then, so an active counsellor is not nagged and their supervisors not alerted.
    """
    if case.status in UNASSIGNED_STATUSES or case.assigned_to_id is None:
        return False
    acted = await session.scalar(
        select(CaseEvent.id)
        .where(
            CaseEvent.case_id == case.id,
            CaseEvent.kind.in_(RESPONSES),
            CaseEvent.actor_id.is_not(None),
            CaseEvent.at >= case.severity_since,
        )
        .limit(1)
    )
    return acted is not None


# -- follow-ups -------------------------------------------------------------------------------------------------


async def run_due_follow_ups(db: Database, now: datetime) -> DeadlineReport:
    """Follow-ups whose time came: marked due, and their counsellor reminded, once each."""
    report = DeadlineReport()
    async with db.session() as session:
        due = await session.scalars(
            select(FollowUp.id)
            .where(FollowUp.status == FollowUpStatus.PENDING, FollowUp.due_at <= now)
            .order_by(FollowUp.due_at, FollowUp.id)
        )
        follow_up_ids = list(due.all())
    for follow_up_id in follow_up_ids:
        async with db.session() as session:
            await _follow_up_due(session, follow_up_id, now, report)
    return report


async def _follow_up_due(session: AsyncSession, follow_up_id: int, now: datetime, report: DeadlineReport) -> None:
    claimed = await session.execute(
        update(FollowUp)
        .where(FollowUp.id == follow_up_id, FollowUp.status == FollowUpStatus.PENDING)
        .values(status=FollowUpStatus.DUE)
    )
    if claimed.rowcount != 1:
        return
    follow_up = await session.get(FollowUp, follow_up_id, populate_existing=True)
    case = await session.get(Case, follow_up.case_id)
    if case.status is CaseStatus.CLOSED:
        follow_up.status = FollowUpStatus.CANCELLED
        return
    school = await session.get(School, case.school_id)
    child = await session.get(Child, case.child_id)
    report.follow_ups_due += 1
    # The counsellor chose the time, so it is sent then, quiet hours or not.
    message = await enqueue(
        session,
        follow_up.counsellor_id,
        "follow_up_due",
        {"case_id": case.id, "follow_up_id": follow_up.id, "school": school.name, "nickname": child.nickname},
        not_before=now,
        dedupe_key=f"follow_up:{follow_up.id}",
    )
    report.messages += message is not None
    add_event(session, case, EventKind.FOLLOW_UP_DUE, actor_id=None, now=now, follow_up_id=follow_up.id)
