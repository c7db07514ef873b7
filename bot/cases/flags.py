"""Raising a flag: open the child's case or join its open one, keep the evidence, and alert the counselling room.

Everything here happens in the caller's transaction, alerts included (they are outbox rows), so a flag and its
alerts stand or fall together. Urgent alerts jump the outbox queue and ignore quiet hours; routine ones wait
for the morning. Alerts go to reachable people only, and update the one a person already has (alerts.py).

A limit per person keeps one frightened (or careless) person from flooding the counselling room: past
`ALERTS_PER_PERSON` flags on the same case within `ALERT_WINDOW`, a further flag from them is still kept on the
case as evidence, with its words, but alerts nobody again. The limit never holds back news: a flag that opens a
case or raises its severity always alerts, and an unanswered case is escalated by its time limit whatever the
limit did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import alerts, deadlines, routing
from bot.cases.groups import notify_group
from bot.cases.models import Case, CaseStatus, EventKind, Flag, FlagSource
from bot.cases.severity import Level
from bot.cases.timeline import add_event
from bot.checkins.timing import outside_quiet_hours
from bot.families.models import Child
from bot.people.models import Person
from bot.schools.models import School

ALERTS_PER_PERSON = 3
ALERT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Evidence:
    reasons: tuple[str, ...] = ()
    symptom_score: int | None = None
    previous_scores: tuple[int, ...] = ()
    average: float | None = None  # of the previous scores the questionnaire compares against
    missed_in_a_row: int = 0
    note: str | None = None
    voice_file_id: str | None = None
    checkin_id: int | None = None


@dataclass(frozen=True)
class Raised:
    case: Case
    flag: Flag
    opened: bool
    # Past the person's limit: kept on the case as evidence without a new alert (the case is already known).
    held_back: bool = False


def age_of(child: Child, now: datetime) -> int:
    months = (now.year - child.birth_year) * 12 + (now.month - (child.birth_month or 7))
    return max(months // 12, 0)


async def raise_flag(
    session: AsyncSession,
    *,
    child: Child,
    level: Level,
    source: FlagSource,
    evidence: Evidence,
    raised_by_id: int | None,
    now: datetime,
) -> Raised:
    if level is Level.NONE:
        raise ValueError("a flag needs a level above none")
    case = await open_case_of(session, child.id, lock=True)
    opened = case is None
    raised = False
    if case is None:
        case = Case(
            child_id=child.id,
            school_id=child.school_id,
            severity=level,
            severity_since=now,
            opened_at=now,
            updated_at=now,
        )
        session.add(case)
        await session.flush()
    elif level.rank > case.severity.rank:
        raised, previous = True, case.severity
        case.severity, case.severity_since, case.updated_at = level, now, now
    held_back = not (opened or raised) and await _over_limit(session, case, raised_by_id, now)
    flag = Flag(
        case_id=case.id,
        level=level,
        source=source,
        checkin_id=evidence.checkin_id,
        raised_by_id=raised_by_id,
        reasons=list(evidence.reasons),
        symptom_score=evidence.symptom_score,
        previous_scores=list(evidence.previous_scores),
        average=evidence.average,
        missed_in_a_row=evidence.missed_in_a_row,
        note=evidence.note,
        voice_file_id=evidence.voice_file_id,
        created_at=now,
    )
    session.add(flag)
    await session.flush()
    kind = EventKind.OPENED if opened else EventKind.FLAG_ADDED
    details = {"held_back": True} if held_back else {}
    add_event(session, case, kind, actor_id=raised_by_id, now=now, flag_id=flag.id, level=level.value, **details)
    if raised:
        add_event(
            session, case, EventKind.SEVERITY_CHANGED, actor_id=None, now=now, old=previous.value, new=level.value
        )
    if opened or raised:
        # The time limit restarts at the new severity even on a taken case: its counsellor is reminded (and the
        # supervisors alerted) unless they act on the case in time; see deadlines._answered.
        await deadlines.start_take_clock(session, case, now)
    if not held_back:
        await _alert(session, case, flag, child, now, opened=opened, raised=raised)
    if opened or raised:
        await notify_group(session, case, flag.id)
    return Raised(case=case, flag=flag, opened=opened, held_back=held_back)


async def _over_limit(session: AsyncSession, case: Case, raised_by_id: int | None, now: datetime) -> bool:
    """Whether this person already raised their allowance of flags on this case in the window."""
    if raised_by_id is None:  # the system (missed check-ins) raises few flags, and never twice for one reason
        return False
    recent = await session.scalar(
        select(func.count(Flag.id)).where(
            Flag.case_id == case.id, Flag.raised_by_id == raised_by_id, Flag.created_at > now - ALERT_WINDOW
        )
    )
    return recent >= ALERTS_PER_PERSON


async def open_case_of(session: AsyncSession, child_id: int, *, lock: bool = False) -> Case | None:
    statement = select(Case).where(Case.child_id == child_id, Case.status != CaseStatus.CLOSED)
    return await session.scalar(statement.with_for_update() if lock else statement)


async def _alert(
    session: AsyncSession,
    case: Case,
    flag: Flag,
    child: Child,
    now: datetime,
    *,
    opened: bool,
    raised: bool,
) -> None:
    """Tell the reachable counselling room (routing.py); the alert it already has is updated (alerts.py)."""
    school = await session.get(School, child.school_id)
    # A new case or a rise is news for the whole counselling room; more evidence is news for whoever has it.
    only_assignee = not (opened or raised) and case.assigned_to_id is not None
    recipients, _audience = await routing.recipients_for(session, case, school, only_assignee=only_assignee)
    level = flag.level
    params = {
        "case_id": case.id,
        "flag_id": flag.id,
        "level": level.value,
        "case_severity": case.severity.value,
        "opened": opened,
        "source": flag.source.value,
        "school": school.name,
        "nickname": child.nickname,
        "age": age_of(child, now),
        "reasons": list(flag.reasons),
        "symptom_score": flag.symptom_score,
        "previous_scores": list(flag.previous_scores),
        "average": flag.average,
        "missed_in_a_row": flag.missed_in_a_row,
        "has_voice": flag.voice_file_id is not None,
    }
    if case.assigned_to_id is not None:
        assignee = await session.get(Person, case.assigned_to_id)
        params["taken_by"] = assignee.display_name
    alert = alerts.Alert(
        case_id=case.id,
        flag_id=flag.id,
        params=params,
        note=alerts.note_of(flag),
        priority=alerts.priority_of(level),
        not_before=now if level.rank >= Level.HIGH.rank else outside_quiet_hours(now, school.timezone),
    )
    for person_id in recipients:
        await alerts.send(session, alert, person_id, news=opened or raised)
    if not recipients:
        await alerts.keep_trying(session, case, now)
