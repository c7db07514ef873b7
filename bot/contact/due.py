"""What the scheduler wakes for family contact: call reminders and questions, failed relays, lapses, the weekly
line, and summaries after check-ins.

Calls and relays move with a compare-and-set update per row in their own transaction; lapse nudges and weekly
lines are keyed by the lapse and the week in the outbox, so a repeated tick never sends one twice.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.models import Checkin, CheckinOrigin, CheckinStatus
from bot.checkins.timing import outside_quiet_hours
from bot.contact.calls import caregivers, home_timezone, plan_next_call
from bot.contact.models import (
    Call,
    CallPlan,
    CallStatus,
    CheckinSummary,
    ChildBirthday,
    ContactEvent,
    Relay,
    SummaryConsent,
)
from bot.contact.starters import StarterContent, choose_starters, themes_from
from bot.contact.summaries import summary_params
from bot.db import Database
from bot.families.models import CaregiverLink, Child, ParentLink
from bot.guidance.selection import band_of
from bot.outbox.enqueue import enqueue
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.schools.models import School

REMIND_BEFORE = timedelta(hours=1)
ASK_AFTER = timedelta(hours=1)  # after the start of the slot: time enough for the call itself
LAPSE_AFTER = timedelta(days=14)
CHECKIN_FRESH = timedelta(days=10)  # an older check-in says too little about this week to pick starters
RELAY_WATCH = timedelta(days=3)  # how long a relay is watched for a failed delivery
SUMMARY_WINDOW = timedelta(days=2)
WEEKLY_LINE_WEEKDAY, WEEKLY_LINE_HOUR = 6, 18  # Sunday evening, in the parent's zone
STREAK_WEEKS_MAX = 12
BIRTHDAY_NOTICES = (7, 1)  # days ahead
BIRTHDAY_HOUR = 9  # in the parent's zone


@dataclass
class ContactReport:
    reminded: int = 0
    asked: int = 0
    relay_failures: int = 0
    nudged: int = 0
    weekly: int = 0
    summaries: int = 0
    birthdays: int = 0

    @property
    def any(self) -> bool:
        return any(vars(self).values())


async def run_contact_due(db: Database, starters: StarterContent, now: datetime) -> ContactReport:
    report = ContactReport()
    async with db.session() as session:
        to_remind = await _call_ids(session, Call.status == CallStatus.SCHEDULED, Call.at <= now + REMIND_BEFORE)
    for call_id in to_remind:
        async with db.session() as session:
            await _remind(session, call_id, starters, now, report)
    async with db.session() as session:
        to_ask = await _call_ids(session, Call.status == CallStatus.REMINDED, Call.at <= now - ASK_AFTER)
    for call_id in to_ask:
        async with db.session() as session:
            await _ask(session, call_id, now, report)
    async with db.session() as session:
        failed = await _failed_relays(session, now)
    for relay_id in failed:
        async with db.session() as session:
            await _tell_relay_failed(session, relay_id, now, report)
    async with db.session() as session:
        await _lapses_and_weekly_lines(session, now, report)
    async with db.session() as session:
        await _birthdays(session, now, report)
    async with db.session() as session:
        to_summarise = await _checkins_to_summarise(session, now)
    for checkin_id in to_summarise:
        async with db.session() as session:
            await _summarise(session, checkin_id, starters, now, report)
    return report


# -- calls --------------------------------------------------------------------------------------------------------


async def _call_ids(session: AsyncSession, *conditions) -> list[int]:
    return list((await session.scalars(select(Call.id).where(*conditions).order_by(Call.at))).all())


async def _move(session: AsyncSession, call_id: int, expected: CallStatus, new: CallStatus) -> Call | None:
    """Compare-and-set: the call, if it was still `expected` and is now `new`; else None."""
    moved = await session.execute(update(Call).where(Call.id == call_id, Call.status == expected).values(status=new))
    if moved.rowcount != 1:
        return None
    return await session.get(Call, call_id, populate_existing=True)


async def _still_linked(session: AsyncSession, call: Call) -> Child | None:
    linked = await session.scalar(
        select(ParentLink.id).where(ParentLink.person_id == call.parent_id, ParentLink.child_id == call.child_id)
    )
    return await session.get(Child, call.child_id) if linked is not None else None


async def _remind(session: AsyncSession, call_id: int, starters: StarterContent, now: datetime, report) -> None:
    call = await _move(session, call_id, CallStatus.SCHEDULED, CallStatus.REMINDED)
    if call is None:
        return
    child = await _still_linked(session, call)
    plan = await session.get(CallPlan, call.plan_id) if call.plan_id is not None else None
    if child is None:
        call.status = CallStatus.CANCELLED
        return
    if plan is not None:
        await plan_next_call(session, plan, after=max(call.at, now))
    if call.at <= now - ASK_AFTER:
        return  # the bot was down through the whole slot: the question afterwards still comes, reminders not
    report.reminded += 1
    home = await home_timezone(session, child)
    parent_zone = plan.timezone if plan is not None else home
    who = (await session.get(ParentLink, await _link_id(session, call))).relation.value
    for member in await caregivers(session, child.id):
        await enqueue(
            session,
            member.person_id,
            "call_reminder_caregiver",
            {"nickname": child.nickname, "who": who, "at": call.at.isoformat(), "timezone": home},
            dedupe_key=f"call:{call.id}:remind:{member.person_id}",
            resend_if_unsure=False,
        )
    answers = await _fresh_answers(session, child.id, now)
    band = band_of(child.birth_year, child.birth_month, now.date())
    chosen = choose_starters(starters, band, themes_from(answers), call.id)
    await enqueue(
        session,
        call.parent_id,
        "call_reminder_parent",
        {
            "nickname": child.nickname,
            "at": call.at.isoformat(),
            "timezone": parent_zone,
            "starters": [starter.id for starter in chosen],
        },
        dedupe_key=f"call:{call.id}:remind:{call.parent_id}",
        resend_if_unsure=False,
    )


async def _link_id(session: AsyncSession, call: Call) -> int:
    return await session.scalar(
        select(ParentLink.id).where(ParentLink.person_id == call.parent_id, ParentLink.child_id == call.child_id)
    )


async def _fresh_answers(session: AsyncSession, child_id: int, now: datetime) -> dict | None:
    """The answers of the child's latest check-in of the last days, to choose starters; never shown to a parent."""
    return await session.scalar(
        select(Checkin.answers)
        .where(
            Checkin.child_id == child_id,
            Checkin.status == CheckinStatus.COMPLETED,
            Checkin.completed_at >= now - CHECKIN_FRESH,
        )
        .order_by(Checkin.completed_at.desc())
        .limit(1)
    )


async def _ask(session: AsyncSession, call_id: int, now: datetime, report: ContactReport) -> None:
    call = await _move(session, call_id, CallStatus.REMINDED, CallStatus.ASKED)
    if call is None:
        return
    child = await _still_linked(session, call)
    if child is None:
        call.status = CallStatus.CANCELLED
        return
    report.asked += 1
    who = (await session.get(ParentLink, await _link_id(session, call))).relation.value
    home = await home_timezone(session, child)
    plan = await session.get(CallPlan, call.plan_id) if call.plan_id is not None else None
    parent_zone = plan.timezone if plan is not None else home
    recipients = [(call.parent_id, True, parent_zone)]
    recipients += [(member.person_id, False, home) for member in await caregivers(session, child.id)]
    for person_id, is_parent, zone in recipients:
        await enqueue(
            session,
            person_id,
            "call_ask",
            {"call_id": call.id, "nickname": child.nickname, "who": who, "parent": is_parent},
            not_before=outside_quiet_hours(now, zone),
            dedupe_key=f"call:{call.id}:ask:{person_id}",
            resend_if_unsure=False,
        )


# -- relays -------------------------------------------------------------------------------------------------------


async def _failed_relays(session: AsyncSession, now: datetime) -> list[int]:
    recent = await session.scalars(
        select(Relay.id).where(Relay.failure_told_at.is_(None), Relay.created_at >= now - RELAY_WATCH)
    )
    keys = {f"relay:{relay_id}:{part}": relay_id for relay_id in recent.all() for part in ("label", "copy")}
    if not keys:
        return []
    failed = await session.scalars(
        select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.in_(list(keys)), OutboxMessage.status == OutboxStatus.FAILED
        )
    )
    return sorted({keys[key] for key in failed.all()})


async def _tell_relay_failed(session: AsyncSession, relay_id: int, now: datetime, report: ContactReport) -> None:
    moved = await session.execute(
        update(Relay).where(Relay.id == relay_id, Relay.failure_told_at.is_(None)).values(failure_told_at=now)
    )
    if moved.rowcount != 1:
        return
    relay = await session.get(Relay, relay_id)
    child = await session.get(Child, relay.child_id)
    relation = await session.scalar(
        select(CaregiverLink.relation).where(
            CaregiverLink.person_id == relay.recipient_id, CaregiverLink.child_id == relay.child_id
        )
    ) or await session.scalar(
        select(ParentLink.relation).where(
            ParentLink.person_id == relay.recipient_id, ParentLink.child_id == relay.child_id
        )
    )
    # One notice a day per recipient, however many messages piled up for them.
    sent = await enqueue(
        session,
        relay.sender_id,
        "relay_undelivered",
        {"nickname": child.nickname, "who": relation.value if relation is not None else "other"},
        dedupe_key=f"relay-failed:{relay.sender_id}:{relay.recipient_id}:{now.date().isoformat()}",
    )
    report.relay_failures += sent is not None


# -- lapses and the weekly line -------------------------------------------------------------------------------------


async def _lapses_and_weekly_lines(session: AsyncSession, now: datetime, report: ContactReport) -> None:
    """A few queries for every parent at once: this runs every tick, for every linked parent of the deployment."""
    last_contact = (
        select(ContactEvent.parent_id, ContactEvent.child_id, func.max(ContactEvent.at).label("last"))
        .group_by(ContactEvent.parent_id, ContactEvent.child_id)
        .subquery()
    )
    pairs = (
        await session.execute(
            select(ParentLink.person_id, ParentLink.created_at, Child, School.timezone, last_contact.c.last)
            .join(Child, Child.id == ParentLink.child_id)
            .join(School, School.id == Child.school_id)
            .outerjoin(
                last_contact,
                (last_contact.c.parent_id == ParentLink.person_id) & (last_contact.c.child_id == ParentLink.child_id),
            )
        )
    ).all()
    plan_zones = dict(
        (await session.execute(select(CallPlan.parent_id, CallPlan.timezone).order_by(CallPlan.id))).all()
    )
    wanted: dict[str, tuple[str, int, Child, datetime, str]] = {}
    for parent_id, linked_at, child, home, last in pairs:
        zone = plan_zones.get(parent_id, home)  # the latest plan's zone: where "the evening" is for them
        since = last or linked_at
        if now - since >= LAPSE_AFTER:
            key = f"contact:lapse:{parent_id}:{child.id}:{since.date().isoformat()}"
            wanted[key] = ("contact_nudge", parent_id, child, since, zone)
        local = now.astimezone(ZoneInfo(zone))
        if local.weekday() == WEEKLY_LINE_WEEKDAY and local.hour >= WEEKLY_LINE_HOUR:
            year, week, _day = local.isocalendar()
            wanted[f"contact:weekly:{parent_id}:{child.id}:{year}-{week}"] = (
                "contact_weekly",
                parent_id,
                child,
                since,
                zone,
            )
    if not wanted:
        return
    # Look first, so that a lapse that lasts weeks is not an insert attempt every tick.
    known = set(
        (
            await session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(list(wanted))))
        ).all()
    )
    for key, (kind, parent_id, child, since, zone) in wanted.items():
        if key in known:
            continue
        if kind == "contact_nudge":
            params = {"nickname": child.nickname, "child_id": child.id, "days": (now - since).days}
        else:
            weeks, this_week = await _streak(session, parent_id, child.id, now)
            if not this_week:
                continue  # no contact this week: nothing is said, never a reproach
            params = {"nickname": child.nickname, "contacts": this_week, "weeks": weeks}
        sent = await enqueue(
            session, parent_id, kind, params, not_before=outside_quiet_hours(now, zone), dedupe_key=key
        )
        if sent is not None and kind == "contact_nudge":
            report.nudged += 1
        elif sent is not None:
            report.weekly += 1


async def _parent_zone(session: AsyncSession, parent_id: int, child: Child) -> str:
    """The zone of the parent's latest call plan, else home's: where "the evening" is for them."""
    zone = await session.scalar(
        select(CallPlan.timezone).where(CallPlan.parent_id == parent_id).order_by(CallPlan.id.desc()).limit(1)
    )
    return zone or await home_timezone(session, child)


async def _streak(session: AsyncSession, parent_id: int, child_id: int, now: datetime) -> tuple[int, int]:
    """(weeks in a row with contact, ending this week; contacts in the last 7 days)."""
    moments = (
        await session.scalars(
            select(ContactEvent.at).where(
                ContactEvent.parent_id == parent_id,
                ContactEvent.child_id == child_id,
                ContactEvent.at >= now - timedelta(weeks=STREAK_WEEKS_MAX),
            )
        )
    ).all()
    weeks_back = {int((now - at) / timedelta(weeks=1)) for at in moments if at <= now}
    this_week = sum(1 for at in moments if now - timedelta(weeks=1) < at <= now)
    streak = 0
    while streak in weeks_back:
        streak += 1
    return streak, this_week


# -- birthdays ----------------------------------------------------------------------------------------------------


def next_birthday(month: int, day: int, today: date) -> date:
    """The next birthday on or after `today`; 29 February is kept on the 28th in other years."""
    for year in (today.year, today.year + 1):
        candidate = date(year, month, min(day, monthrange(year, month)[1]))
        if candidate >= today:
            return candidate
    raise AssertionError("unreachable: a birthday comes within a year")


async def _birthdays(session: AsyncSession, now: datetime, report: ContactReport) -> None:
    rows = (
        await session.execute(
            select(ParentLink.person_id, Child, ChildBirthday.day, School.timezone)
            .join(Child, Child.id == ParentLink.child_id)
            .join(ChildBirthday, ChildBirthday.child_id == Child.id)
            .join(School, School.id == Child.school_id)
            .where(Child.birth_month.is_not(None))
        )
    ).all()
    if not rows:
        return
    plan_zones = dict(
        (await session.execute(select(CallPlan.parent_id, CallPlan.timezone).order_by(CallPlan.id))).all()
    )
    wanted: dict[str, tuple[int, dict]] = {}
    for parent_id, child, day, home in rows:
        local = now.astimezone(ZoneInfo(plan_zones.get(parent_id, home)))
        birthday = next_birthday(child.birth_month, day, local.date())
        days = (birthday - local.date()).days
        if days in BIRTHDAY_NOTICES and local.hour >= BIRTHDAY_HOUR:
            params = {
                "nickname": child.nickname,
                "child_id": child.id,
                "days": days,
                "age": birthday.year - child.birth_year,
            }
            params |= {"month": birthday.month, "day": birthday.day}
            wanted[f"birthday:{child.id}:{parent_id}:{birthday.isoformat()}:{days}"] = (parent_id, params)
    if not wanted:
        return
    known = set(
        (
            await session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(list(wanted))))
        ).all()
    )
    for key, (parent_id, params) in wanted.items():
        if key not in known and await enqueue(session, parent_id, "birthday_reminder", params, dedupe_key=key):
            report.birthdays += 1


# -- summaries ----------------------------------------------------------------------------------------------------


async def _checkins_to_summarise(session: AsyncSession, now: datetime) -> list[int]:
    rows = await session.scalars(
        select(Checkin.id)
        .outerjoin(CheckinSummary, CheckinSummary.checkin_id == Checkin.id)
        .where(
            Checkin.status == CheckinStatus.COMPLETED,
            Checkin.origin == CheckinOrigin.SCHEDULED,
            Checkin.completed_at >= now - SUMMARY_WINDOW,
            CheckinSummary.checkin_id.is_(None),
        )
    )
    return list(rows.all())


async def _summarise(
    session: AsyncSession, checkin_id: int, starters: StarterContent, now: datetime, report: ContactReport
) -> None:
    checkin = await session.get(Checkin, checkin_id)
    consent = await session.get(SummaryConsent, checkin.caregiver_id)
    shared = consent is not None and consent.share
    # The primary key decides: a second tick (or worker) deciding the same check-in inserts nothing, sends nothing.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    decided = await session.scalar(
        insert(CheckinSummary)
        .values(checkin_id=checkin.id, shared=shared, decided_at=now)
        .on_conflict_do_nothing(index_elements=[CheckinSummary.checkin_id])
        .returning(CheckinSummary.checkin_id)
    )
    if decided is None or not shared:
        return
    child = await session.get(Child, checkin.child_id)
    relation = await session.scalar(
        select(CaregiverLink.relation).where(
            CaregiverLink.person_id == checkin.caregiver_id, CaregiverLink.child_id == child.id
        )
    )
    if relation is None:
        return
    band = band_of(child.birth_year, child.birth_month, now.date())
    params = {
        "nickname": child.nickname,
        "who": relation.value,
        **summary_params(checkin.answers, starters, band, checkin.id),
    }
    parent_ids = await session.scalars(select(ParentLink.person_id).where(ParentLink.child_id == child.id))
    for parent_id in parent_ids.all():
        await enqueue(
            session,
            parent_id,
            "parent_summary",
            params,
            not_before=outside_quiet_hours(now, await _parent_zone(session, parent_id, child)),
            dedupe_key=f"summary:{checkin.id}:{parent_id}",
        )
        report.summaries += 1
