"""The counsellor's desk: the queue, the case card, and every action on a case.

Each entry point takes the acting person and the ids a button or command carried, checks access on the server
(bot/cases/access.py), changes the case, writes the timeline and the audit log, and queues any message to others
in the same transaction. A person without access gets the same "stale button" answer as a forged press, so a
probe learns nothing.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import alerts, deadlines
from bot.cases import screens as cx
from bot.cases.access import Staff, case_for, staff_of
from bot.cases.flags import age_of, open_case_of
from bot.cases.models import (
    OPEN_STATUSES,
    UNASSIGNED_STATUSES,
    Case,
    CaseAlert,
    CaseEvent,
    CaseOutcome,
    CaseStatus,
    EventKind,
    Flag,
    FollowUp,
    FollowUpStatus,
    Referral,
    ReferralKind,
    ReferralStatus,
    RegionPolicy,
)
from bot.cases.screens import Folder, Purpose
from bot.cases.severity import Level
from bot.cases.timeline import add_event
from bot.checkins.models import Checkin, CheckinStatus
from bot.clock import Clock
from bot.contact.lapse import CONTACT_LAPSE, last_logged_contact
from bot.conversations import store
from bot.families.models import CaregiverLink, Child, ParentLink
from bot.onboarding import screens as s
from bot.outbox.enqueue import enqueue
from bot.outbox.models import OutboxMessage, Priority
from bot.people.models import Person
from bot.safety.phones import phone_of
from bot.schools.models import RegionSupervisor, School, SchoolCounsellor

FLOW = "case_text"
PAGE_SIZE = 8
TIMELINE_LENGTH = 12
TEXT_MAX = 1000
TREND_WEEKS = 8
FOLLOW_UP_CHOICES = {
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
    "14d": timedelta(days=14),
}
FOLLOW_UP_HOUR = time(9, 0)
SEVERITIES = (Level.URGENT, Level.HIGH, Level.ROUTINE)
# Closing an urgent or high case may need a supervisor's approval (a region's choice).
APPROVAL_LEVELS = (Level.URGENT, Level.HIGH)
_ORDER = {Level.URGENT: 0, Level.HIGH: 1, Level.ROUTINE: 2, Level.NONE: 3}


class Desk:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    # -- the queue ----------------------------------------------------------------------------------------

    async def queue(self, session: AsyncSession, person: Person, folder: str = Folder.OPEN, page: int = 0) -> list:
        staff = await staff_of(session, person.id)
        if not staff.any:
            return [s.StaleButton()]
        folders = self._folders(staff)
        chosen = Folder(folder) if folder in {f.value for f in folders} else folders[0]
        statement = (
            select(Case, Child, School)
            .join(Child, Child.id == Case.child_id)
            .join(School, School.id == Case.school_id)
            .where(Case.school_id.in_(staff.school_ids))
        )
        if chosen is Folder.APPROVAL:
            statement = statement.where(Case.closure_requested_by_id.is_not(None), Case.status != CaseStatus.CLOSED)
        else:
            statement = statement.where(Case.status.in_(OPEN_STATUSES))
        if chosen is Folder.MINE:
            statement = statement.where(Case.assigned_to_id == person.id)
        elif chosen is Folder.UNASSIGNED:
            statement = statement.where(Case.status.in_(UNASSIGNED_STATUSES))
        rows = (await session.execute(statement)).all()
        # Most urgent first, then the one that has waited longest; sorted here because severity is stored as text.
        rows.sort(key=lambda row: (_ORDER[row.Case.severity], row.Case.severity_since))
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        now = self.clock()
        names = await self._names(session, {row.Case.assigned_to_id for row in rows if row.Case.assigned_to_id})
        lines = tuple(
            cx.QueueLine(
                case_id=row.Case.id,
                severity=row.Case.severity,
                nickname=row.Child.nickname,
                age=age_of(row.Child, now),
                status=row.Case.status,
                waiting=now - row.Case.severity_since,
                school=row.School.name,
                assignee=names.get(row.Case.assigned_to_id),
            )
            for row in rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        )
        return [cx.Queue(chosen, folders, page, pages, lines, await self._approval_required(session, person))]

    def _folders(self, staff: Staff) -> tuple[Folder, ...]:
        if staff.counsellor_school_ids:
            folders = (Folder.MINE, Folder.UNASSIGNED, Folder.OPEN)
        else:
            folders = (Folder.OPEN, Folder.UNASSIGNED)
        return folders + ((Folder.APPROVAL,) if staff.supervised_school_ids else ())

    # -- the case card -------------------------------------------------------------------------------------

    async def open(self, session: AsyncSession, person: Person, case_id: int) -> list:
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id)
        if case is None:
            return [s.StaleButton()]
        add_event(session, case, EventKind.VIEWED, actor_id=person.id, now=self.clock())
        return [await self._card(session, staff, case)]

    async def _card(self, session: AsyncSession, staff: Staff, case: Case) -> cx.Card:
        now = self.clock()
        child = await session.get(Child, case.child_id)
        school = await session.get(School, case.school_id)
        caregivers = (
            await session.execute(
                select(Person.id, Person.display_name, CaregiverLink.relation)
                .join(CaregiverLink, CaregiverLink.person_id == Person.id)
                .where(CaregiverLink.child_id == child.id)
            )
        ).all()
        flags = (await session.scalars(select(Flag).where(Flag.case_id == case.id).order_by(Flag.created_at))).all()
        answers = await self._answers(session, [f.checkin_id for f in flags if f.checkin_id])
        events = (
            await session.scalars(
                select(CaseEvent)
                .where(CaseEvent.case_id == case.id, CaseEvent.kind != EventKind.VIEWED)
                .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
                .limit(TIMELINE_LENGTH)
            )
        ).all()
        referrals = (await session.scalars(select(Referral).where(Referral.case_id == case.id))).all()
        follow_ups = (
            await session.scalars(
                select(FollowUp)
                .where(FollowUp.case_id == case.id, FollowUp.status.in_([FollowUpStatus.PENDING, FollowUpStatus.DUE]))
                .order_by(FollowUp.due_at)
            )
        ).all()
        people = {e.actor_id for e in events if e.actor_id} | {f.counsellor_id for f in follow_ups}
        names = await self._names(session, people | {case.assigned_to_id} - {None})
        return cx.Card(
            case_id=case.id,
            severity=case.severity,
            status=case.status,
            school=school.name,
            timezone=school.timezone,
            nickname=child.nickname,
            age=age_of(child, now),
            grade=child.grade,
            caregivers=tuple(
                # The family's phone number is for the counsellors of the child's school only.
                [
                    (name, relation.value, await phone_of(session, person_id) if staff.counsels(case) else None)
                    for person_id, name, relation in caregivers
                ]
            ),
            parents=await self._parents(session, child.id, now),
            assignee=names.get(case.assigned_to_id),
            opened_at=case.opened_at,
            flags=tuple(
                cx.FlagView(
                    at=f.created_at,
                    level=f.level,
                    source=f.source,
                    reasons=tuple(f.reasons),
                    symptom_score=f.symptom_score,
                    average=f.average,
                    missed_in_a_row=f.missed_in_a_row,
                    note=f.note,
                    has_voice=f.voice_file_id is not None,
                    answers=tuple(answers.get(f.checkin_id, {}).items()),
                )
                for f in flags
            ),
            referrals=tuple(cx.ReferralView(r.id, r.kind, r.status, r.note) for r in referrals),
            follow_ups=tuple(
                cx.FollowUpView(f.id, f.due_at, f.status, names.get(f.counsellor_id, "")) for f in follow_ups
            ),
            events=tuple(
                cx.EventView(e.at, e.kind, names.get(e.actor_id), dict(e.details), e.text) for e in reversed(events)
            ),
            actions=self._actions(staff, case),
            outcome=case.outcome,
            trend=await self._trend(session, child.id, school.timezone, now),
        )

    def _actions(self, staff: Staff, case: Case) -> frozenset[str]:
        if case.status is CaseStatus.CLOSED:
            return frozenset({"reopen"})
        actions = {"note", "msg", "parent", "ref", "fu", "sev", "close", "voice", "trend"}
        if case.status in UNASSIGNED_STATUSES and staff.counsels(case):
            actions.add("take")
        if case.assigned_to_id is not None or staff.supervises(case):
            actions.add("hand")
        if case.status is CaseStatus.TAKEN:
            actions.add("contact")
        if case.closure_requested_by_id is not None and staff.supervises(case):
            actions |= {"approve", "reject"}
        return frozenset(actions)

    async def _answers(self, session: AsyncSession, checkin_ids: list[int]) -> dict[int, dict[str, str]]:
        if not checkin_ids:
            return {}
        rows = await session.execute(select(Checkin.id, Checkin.answers).where(Checkin.id.in_(checkin_ids)))
        return {checkin_id: answers for checkin_id, answers in rows}

    async def _parents(self, session: AsyncSession, child_id: int, now: datetime) -> tuple[cx.ParentView, ...]:
        """Each linked parent, when they were last in touch (the contact log, or a check-in's word for it), and
        whether contact has lapsed: a long silence from far away matters to how a child is doing."""
        reported = await self._parent_contact(session, child_id)
        rows = await session.execute(
            select(ParentLink.person_id, ParentLink.relation, ParentLink.created_at).where(
                ParentLink.child_id == child_id
            )
        )
        views = []
        for parent_id, relation, linked_at in rows.all():
            logged = await last_logged_contact(session, parent_id, child_id)
            last = max((moment for moment in (logged, reported) if moment is not None), default=None)
            lapsed = now - (last or linked_at) >= CONTACT_LAPSE
            views.append(cx.ParentView(relation.value, last.date() if last else None, lapsed))
        return tuple(views)

    async def _parent_contact(self, session: AsyncSession, child_id: int) -> datetime | None:
        """When a check-in last said the child was in touch with their parents (any contact that week)."""
        rows = await session.execute(
            select(Checkin.completed_at, Checkin.answers)
            .where(Checkin.child_id == child_id, Checkin.status == CheckinStatus.COMPLETED)
            .order_by(Checkin.completed_at.desc())
            .limit(TREND_WEEKS)
        )
        for completed_at, answers in rows:
            if answers.get("parents") in ("often", "some"):
                return completed_at
        return None

    async def _trend(self, session: AsyncSession, child_id: int, timezone: str, now: datetime):
        """The child's symptom score week by week over the last 8 weeks; None for a week without a check-in."""
        zone = ZoneInfo(timezone)
        start = (now - timedelta(weeks=TREND_WEEKS)).astimezone(zone).date()
        rows = await session.execute(
            select(Checkin.completed_at, Checkin.symptom_score).where(
                Checkin.child_id == child_id,
                Checkin.status == CheckinStatus.COMPLETED,
                Checkin.completed_at >= now - timedelta(weeks=TREND_WEEKS),
            )
        )
        weeks: dict[int, int] = {}
        for completed_at, score in rows:
            index = (completed_at.astimezone(zone).date() - start).days // 7
            weeks[index] = max(weeks.get(index, 0), score or 0)
        return tuple((start + timedelta(weeks=i), weeks.get(i)) for i in range(TREND_WEEKS))

    # -- taking and handing over -----------------------------------------------------------------------------

    async def take(self, session: AsyncSession, person: Person, case_id: int) -> list:
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id, lock=True)
        if case is None or not staff.counsels(case) or case.status is CaseStatus.CLOSED:
            return [s.StaleButton()]
        if case.assigned_to_id is not None:
            names = await self._names(session, {case.assigned_to_id})
            return [cx.AlreadyTaken(case.id, names.get(case.assigned_to_id, ""))]
        now = self.clock()
        case.assigned_to_id, case.taken_at, case.status, case.updated_at = person.id, now, CaseStatus.TAKEN, now
        add_event(session, case, EventKind.TAKEN, actor_id=person.id, now=now)
        await deadlines.stop_take_clock(session, case, now)
        child = await session.get(Child, case.child_id)
        alerts = await self._alerts_to_edit(session, case, person)
        return [cx.Taken(case.id, child.nickname, alerts), await self._card(session, staff, case)]

    async def _alerts_to_edit(self, session: AsyncSession, case: Case, taker: Person) -> tuple[cx.AlertToEdit, ...]:
        await alerts.note_taken(session, case.id, taker.display_name)
        rows = await session.execute(
            select(OutboxMessage, Person)
            .join(CaseAlert, CaseAlert.outbox_id == OutboxMessage.id)
            .join(Person, Person.id == CaseAlert.person_id)
            .where(
                CaseAlert.case_id == case.id,
                CaseAlert.person_id != taker.id,
                OutboxMessage.telegram_message_id.is_not(None),
            )
        )
        edits = []
        for message, recipient in rows:
            params = {**message.params, "taken_by": taker.display_name}
            message.params = params  # what the message says now, for later updates (alerts.py) to start from
            edits.append(
                cx.AlertToEdit(
                    recipient.chat_id, message.telegram_message_id, message.kind, params, recipient.language or ""
                )
            )
        return tuple(edits)

    async def choose_counsellor(self, session: AsyncSession, person: Person, case_id: int) -> list:
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id)
        if case is None or "hand" not in self._actions(staff, case):
            return [s.StaleButton()]
        rows = await session.execute(
            select(Person.id, Person.display_name)
            .join(SchoolCounsellor, SchoolCounsellor.person_id == Person.id)
            .where(SchoolCounsellor.school_id == case.school_id, Person.id != case.assigned_to_id)
            .order_by(Person.display_name)
        )
        return [cx.Choose(case.id, "hand", tuple((str(pid), name) for pid, name in rows))]

    async def hand_over(self, session: AsyncSession, person: Person, case_id: int, to_person_id: int) -> list:
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id, lock=True)
        if case is None or "hand" not in self._actions(staff, case):
            return [s.StaleButton()]
        counsellor = await session.scalar(
            select(SchoolCounsellor.id).where(
                SchoolCounsellor.school_id == case.school_id, SchoolCounsellor.person_id == to_person_id
            )
        )
        if counsellor is None or to_person_id == case.assigned_to_id:
            return [s.StaleButton()]
        now = self.clock()
        previous = case.assigned_to_id
        case.assigned_to_id, case.updated_at = to_person_id, now
        if case.status in UNASSIGNED_STATUSES:
            case.status, case.taken_at = CaseStatus.TAKEN, now
            await deadlines.stop_take_clock(session, case, now)
        add_event(
            session, case, EventKind.HANDED_OVER, actor_id=person.id, now=now, to=to_person_id, **{"from": previous}
        )
        child = await session.get(Child, case.child_id)
        await enqueue(
            session,
            to_person_id,
            "case_handed_over",
            {"case_id": case.id, "nickname": child.nickname, "severity": case.severity.value},
            priority=Priority.URGENT if case.severity is Level.URGENT else Priority.NORMAL,
        )
        return [cx.Done(case.id, "handed_over")]

    async def mark_in_contact(self, session: AsyncSession, person: Person, case_id: int) -> list:
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id, lock=True)
        if case is None or "contact" not in self._actions(staff, case):
            return [s.StaleButton()]
        now = self.clock()
        case.status, case.updated_at = CaseStatus.IN_CONTACT, now
        add_event(session, case, EventKind.IN_CONTACT, actor_id=person.id, now=now)
        return [cx.Done(case.id, "in_contact")]

    # -- actions that need words ------------------------------------------------------------------------------

    async def ask_text(self, session: AsyncSession, person: Person, case_id: int, purpose: Purpose, **data) -> list:
        """Note, message, closing note, reasons: the next text the counsellor types is for this case."""
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id)
        # A purpose is named like the action it belongs to, so the same permission check covers both.
        if case is None or purpose.value not in self._actions(staff, case):
            return [s.StaleButton()]
        await store.begin(session, person.id, FLOW, purpose.value, case_id=case.id, **data)
        return [cx.AskText(case.id, purpose)]

    async def text(self, session: AsyncSession, person: Person, text: str) -> list | None:
        """The words a counsellor was asked for; None when no case is waiting for words from them."""
        conversation = await store.current(session, person.id)
        if conversation is None or conversation.flow != FLOW:
            return None
        await store.end(session, conversation)
        words = text.strip()
        case_id, purpose = conversation.data["case_id"], Purpose(conversation.step)
        if not words or len(words) > TEXT_MAX:
            await store.begin(session, person.id, FLOW, purpose.value, **conversation.data)
            return [cx.Refused(case_id, "text_length"), cx.AskText(case_id, purpose)]
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id, lock=True)
        if case is None:
            return [s.StaleButton()]
        handler = {
            Purpose.NOTE: self._note,
            Purpose.MESSAGE: self._message,
            Purpose.CLOSE: self._close,
            Purpose.SEVERITY: self._severity,
            Purpose.REOPEN: self._reopen,
            Purpose.REJECT: self._reject,
        }[purpose]
        return await handler(session, staff, person, case, words, conversation.data)

    async def _note(self, session, staff, person, case, words, data) -> list:
        add_event(session, case, EventKind.NOTE, actor_id=person.id, now=self.clock(), text=words)
        return [cx.Done(case.id, "note")]

    async def _message(self, session, staff, person, case, words, data) -> list:
        if case.status is CaseStatus.CLOSED:
            return [s.StaleButton()]
        now = self.clock()
        school = await session.get(School, case.school_id)
        caregivers = await session.scalars(
            select(CaregiverLink.person_id).where(CaregiverLink.child_id == case.child_id)
        )
        for caregiver_id in caregivers.all():
            await enqueue(
                session,
                caregiver_id,
                "counsellor_message",
                {"case_id": case.id, "school": school.name},
                private={"text": words},
            )
        add_event(session, case, EventKind.MESSAGE_TO_CAREGIVER, actor_id=person.id, now=now, text=words)
        return [cx.Done(case.id, "message")]

    async def _severity(self, session, staff, person, case, words, data) -> list:
        level = Level(data["level"])
        if level is case.severity:
            return [cx.Done(case.id, "severity")]
        now = self.clock()
        add_event(
            session,
            case,
            EventKind.SEVERITY_CHANGED,
            actor_id=person.id,
            now=now,
            text=words,
            old=case.severity.value,
            new=level.value,
        )
        case.severity, case.severity_since, case.updated_at = level, now, now
        if case.status in UNASSIGNED_STATUSES:
            await deadlines.start_take_clock(session, case, now)
        return [cx.Done(case.id, "severity")]

    async def _close(self, session, staff, person, case, words, data) -> list:
        outcome = CaseOutcome(data["outcome"])
        now = self.clock()
        school = await session.get(School, case.school_id)
        policy = await session.get(RegionPolicy, school.region)
        needs_approval = (
            policy is not None
            and policy.closure_needs_approval
            and case.severity in APPROVAL_LEVELS
            and not staff.supervises(case)
        )
        if needs_approval:
            case.closure_requested_by_id, case.outcome, case.closure_note = person.id, outcome, words
            add_event(
                session, case, EventKind.CLOSURE_REQUESTED, actor_id=person.id, now=now, text=words, outcome=outcome
            )
            child = await session.get(Child, case.child_id)
            supervisors = await session.scalars(
                select(RegionSupervisor.person_id).where(RegionSupervisor.region == school.region)
            )
            for supervisor_id in supervisors.all():
                await enqueue(
                    session,
                    supervisor_id,
                    "closure_approval",
                    {"case_id": case.id, "nickname": child.nickname, "school": school.name, "outcome": outcome},
                    dedupe_key=f"closure:{case.id}:{now.isoformat()}:{supervisor_id}",
                )
            return [cx.Done(case.id, "closure_requested")]
        await self._close_now(session, case, person.id, outcome, words, now)
        return [cx.Done(case.id, "closed")]

    async def _close_now(self, session, case: Case, actor_id: int, outcome: CaseOutcome, words: str, now) -> None:
        case.status, case.outcome, case.closure_note, case.closed_at = CaseStatus.CLOSED, outcome, words, now
        case.closure_requested_by_id, case.updated_at = None, now
        await deadlines.stop_take_clock(session, case, now)
        pending = await session.scalars(
            select(FollowUp).where(
                FollowUp.case_id == case.id, FollowUp.status.in_([FollowUpStatus.PENDING, FollowUpStatus.DUE])
            )
        )
        for follow_up in pending.all():
            follow_up.status = FollowUpStatus.CANCELLED
        add_event(session, case, EventKind.CLOSED, actor_id=actor_id, now=now, text=words, outcome=outcome)

    async def approve(self, session: AsyncSession, person: Person, case_id: int) -> list:
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id, lock=True)
        if case is None or "approve" not in self._actions(staff, case):
            return [s.StaleButton()]
        await self._close_now(session, case, person.id, case.outcome, case.closure_note or "", self.clock())
        return [cx.Done(case.id, "closure_approved")]

    async def _reject(self, session, staff, person, case, words, data) -> list:
        if "reject" not in self._actions(staff, case):
            return [s.StaleButton()]
        now = self.clock()
        requester = case.closure_requested_by_id
        case.closure_requested_by_id, case.outcome, case.closure_note = None, None, None
        add_event(session, case, EventKind.CLOSURE_REJECTED, actor_id=person.id, now=now, text=words)
        if requester is not None:
            await enqueue(session, requester, "closure_rejected", {"case_id": case.id}, private={"reason": words})
        return [cx.Done(case.id, "closure_rejected")]

    async def _reopen(self, session, staff, person, case, words, data) -> list:
        if case.status is not CaseStatus.CLOSED:
            return [s.StaleButton()]
        if await open_case_of(session, case.child_id) is not None:
            return [cx.Refused(case.id, "child_has_open_case")]
        now = self.clock()
        case.status, case.assigned_to_id, case.outcome, case.closed_at = CaseStatus.REOPENED, None, None, None
        case.closure_note, case.severity_since, case.updated_at = None, now, now
        add_event(session, case, EventKind.REOPENED, actor_id=person.id, now=now, text=words)
        await deadlines.start_take_clock(session, case, now)
        return [cx.Done(case.id, "reopened")]

    # -- choices -----------------------------------------------------------------------------------------

    async def choices(self, session: AsyncSession, person: Person, case_id: int, action: str) -> list:
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id)
        if case is None or action not in self._actions(staff, case):
            return [s.StaleButton()]
        options = {
            "ref": tuple((kind.value, kind.value) for kind in ReferralKind),
            "fu": tuple((key, key) for key in FOLLOW_UP_CHOICES),
            "sev": tuple((level.value, level.value) for level in SEVERITIES if level is not case.severity),
            "close": tuple((outcome.value, outcome.value) for outcome in CaseOutcome),
        }.get(action)
        if options is None:
            return [s.StaleButton()]
        return [cx.Choose(case.id, action, options)]

    async def choose(self, session: AsyncSession, person: Person, case_id: int, action: str, value: str) -> list:
        """The second press of a choice: a referral kind, a follow-up time, a severity or an outcome."""
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id, lock=True)
        if case is None or action not in self._actions(staff, case):
            return [s.StaleButton()]
        now = self.clock()
        if action == "ref" and value in {kind.value for kind in ReferralKind}:
            referral = Referral(case_id=case.id, kind=ReferralKind(value), created_by_id=person.id, created_at=now)
            session.add(referral)
            await session.flush()
            case.status, case.updated_at = CaseStatus.REFERRED, now
            add_event(session, case, EventKind.REFERRED, actor_id=person.id, now=now, referral=referral.id, to=value)
            return [cx.Done(case.id, "referred")]
        if action == "fu" and value in FOLLOW_UP_CHOICES:
            school = await session.get(School, case.school_id)
            zone = ZoneInfo(school.timezone)
            day = (now + FOLLOW_UP_CHOICES[value]).astimezone(zone).date()
            due_at = datetime.combine(day, FOLLOW_UP_HOUR, tzinfo=zone)
            session.add(FollowUp(case_id=case.id, counsellor_id=person.id, due_at=due_at, created_at=now))
            add_event(session, case, EventKind.FOLLOW_UP_SET, actor_id=person.id, now=now, due_at=due_at.isoformat())
            return [cx.Done(case.id, "follow_up")]
        if action == "sev" and value in {level.value for level in SEVERITIES}:
            return await self.ask_text(session, person, case.id, Purpose.SEVERITY, level=value)
        if action == "close" and value in {outcome.value for outcome in CaseOutcome}:
            return await self.ask_text(session, person, case.id, Purpose.CLOSE, outcome=value)
        return [s.StaleButton()]

    async def update_referral(self, session: AsyncSession, person: Person, referral_id: int, status: str) -> list:
        referral = await session.get(Referral, referral_id)
        if referral is None or status not in {value.value for value in ReferralStatus}:
            return [s.StaleButton()]
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, referral.case_id)
        if case is None or case.status is CaseStatus.CLOSED:
            return [s.StaleButton()]
        referral.status = ReferralStatus(status)
        add_event(
            session,
            case,
            EventKind.REFERRAL_UPDATED,
            actor_id=person.id,
            now=self.clock(),
            referral=referral.id,
            status=status,
        )
        return [cx.Done(case.id, "referral_updated")]

    async def follow_up_done(self, session: AsyncSession, person: Person, follow_up_id: int) -> list:
        follow_up = await session.get(FollowUp, follow_up_id)
        if follow_up is None or follow_up.status not in (FollowUpStatus.PENDING, FollowUpStatus.DUE):
            return [s.StaleButton()]
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, follow_up.case_id)
        if case is None:
            return [s.StaleButton()]
        now = self.clock()
        follow_up.status, follow_up.done_at = FollowUpStatus.DONE, now
        add_event(session, case, EventKind.FOLLOW_UP_DONE, actor_id=person.id, now=now, follow_up=follow_up.id)
        return [cx.Done(case.id, "follow_up_done")]

    async def ask_parent_to_call(self, session: AsyncSession, person: Person, case_id: int) -> list:
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id)
        if case is None or "parent" not in self._actions(staff, case):
            return [s.StaleButton()]
        parents = (
            await session.scalars(select(ParentLink.person_id).where(ParentLink.child_id == case.child_id))
        ).all()
        if not parents:
            return [cx.Refused(case.id, "no_parent_linked")]
        now = self.clock()
        child = await session.get(Child, case.child_id)
        school = await session.get(School, case.school_id)
        for parent_id in parents:
            await enqueue(
                session, parent_id, "parent_call_request", {"nickname": child.nickname, "school": school.name}
            )
        add_event(session, case, EventKind.PARENT_ASKED_TO_CALL, actor_id=person.id, now=now)
        return [cx.Done(case.id, "parent_asked")]

    async def voices(self, session: AsyncSession, person: Person, case_id: int) -> list:
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id)
        if case is None:
            return [s.StaleButton()]
        flags = await session.scalars(select(Flag.voice_file_id).where(Flag.case_id == case.id))
        replies = await session.execute(
            select(CaseEvent.details, CaseEvent.text).where(
                CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.CAREGIVER_REPLY
            )
        )
        add_event(session, case, EventKind.VIEWED, actor_id=person.id, now=self.clock(), what="voice")
        voices = [v for v in flags.all() if v] + [text for details, text in replies if details.get("voice")]
        return [cx.Voices(case.id, tuple(voices))]

    async def trend(self, session: AsyncSession, person: Person, case_id: int) -> list:
        staff = await staff_of(session, person.id)
        case = await case_for(session, staff, case_id)
        if case is None:
            return [s.StaleButton()]
        child = await session.get(Child, case.child_id)
        school = await session.get(School, case.school_id)
        return [cx.Trend(case.id, child.nickname, await self._trend(session, child.id, school.timezone, self.clock()))]

    # -- region policy -------------------------------------------------------------------------------------

    async def toggle_approval(self, session: AsyncSession, person: Person) -> list:
        """A supervisor turns closure approval for urgent and high cases on or off for their region(s)."""
        regions = (
            await session.scalars(select(RegionSupervisor.region).where(RegionSupervisor.person_id == person.id))
        ).all()
        if not regions:
            return [s.StaleButton()]
        now = self.clock()
        turned_on = False
        for region in regions:
            policy = await session.get(RegionPolicy, region)
            if policy is None:
                policy = RegionPolicy(region=region, closure_needs_approval=False)
                session.add(policy)
            policy.closure_needs_approval = not policy.closure_needs_approval
            policy.updated_at = now
            turned_on = policy.closure_needs_approval
        return [cx.Done(0, "approval_on" if turned_on else "approval_off")]

    async def _approval_required(self, session: AsyncSession, person: Person) -> bool | None:
        regions = (
            await session.scalars(select(RegionSupervisor.region).where(RegionSupervisor.person_id == person.id))
        ).all()
        if not regions:
            return None
        policies = [await session.get(RegionPolicy, region) for region in regions]
        return any(policy is not None and policy.closure_needs_approval for policy in policies)

    async def _names(self, session: AsyncSession, person_ids: set[int]) -> dict[int, str]:
        if not person_ids:
            return {}
        rows = await session.execute(select(Person.id, Person.display_name).where(Person.id.in_(person_ids)))
        return dict(rows.all())
