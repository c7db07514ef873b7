"""What the scheduler wakes for guidance: new people to plan for, tips that fall due, and next-day questions.

Each row moves with a compare-and-set update in its own transaction, together with its outbox message, so two
ticks or a replayed tick never send a tip or ask "did you try it?" twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.timing import local_date, outside_quiet_hours
from bot.db import Database
from bot.families.models import CaregiverLink, Child, ParentLink
from bot.guidance.content import GuidanceContent, Tip, tips_for
from bot.guidance.models import DeliveryOrigin, DeliveryStatus, GuidanceDelivery, GuidanceSchedule
from bot.guidance.planning import Family, family_of, last_sent, plan_next, schedule_of
from bot.guidance.selection import band_of, choose
from bot.outbox.enqueue import enqueue
from bot.outbox.models import Priority

ASK_AFTER = timedelta(days=1)


@dataclass
class GuidanceReport:
    planned: int = 0
    sent: int = 0
    asked: int = 0
    cancelled: int = 0


async def run_guidance_due(db: Database, content: GuidanceContent, now: datetime) -> GuidanceReport:
    report = GuidanceReport()
    async with db.session() as session:
        newcomers = await _without_schedule(session)
        to_send = await _ids(
            session, GuidanceDelivery.status == DeliveryStatus.SCHEDULED, GuidanceDelivery.due_at <= now
        )
        to_ask = await _ids(
            session,
            GuidanceDelivery.status == DeliveryStatus.SENT,
            GuidanceDelivery.asked_at.is_(None),
            GuidanceDelivery.ask_at <= now,
        )
    for person_id in newcomers:
        async with db.session() as session:
            if await _plan_newcomer(session, person_id, now):
                report.planned += 1
    for delivery_id in to_send:
        async with db.session() as session:
            await _send(session, delivery_id, content, now, report)
    for delivery_id in to_ask:
        async with db.session() as session:
            await _ask(session, delivery_id, now, report)
    return report


async def _without_schedule(session: AsyncSession) -> list[int]:
    """Caregivers and parents the scheduler has not planned for yet (new since the last tick)."""
    linked = union(select(CaregiverLink.person_id), select(ParentLink.person_id)).subquery()
    statement = select(linked.c.person_id).where(~exists().where(GuidanceSchedule.person_id == linked.c.person_id))
    return list((await session.scalars(statement)).all())


async def _ids(session: AsyncSession, *conditions) -> list[int]:
    statement = select(GuidanceDelivery.id).where(*conditions).order_by(GuidanceDelivery.due_at)
    return list((await session.scalars(statement)).all())


async def _plan_newcomer(session: AsyncSession, person_id: int, now: datetime) -> bool:
    if await session.get(GuidanceSchedule, person_id) is not None:
        return False  # another worker got there first
    family = await family_of(session, person_id)
    if family is None:
        return False
    await plan_next(session, await schedule_of(session, person_id, family.timezone), now)
    return True


async def _send(session: AsyncSession, delivery_id: int, content: GuidanceContent, now: datetime, report) -> None:
    result = await session.execute(
        update(GuidanceDelivery)
        .where(GuidanceDelivery.id == delivery_id, GuidanceDelivery.status == DeliveryStatus.SCHEDULED)
        .values(status=DeliveryStatus.SENT, sent_at=now)
    )
    if result.rowcount != 1:
        return
    delivery = await session.get(GuidanceDelivery, delivery_id, populate_existing=True)
    family = await family_of(session, delivery.person_id)
    schedule = await session.get(GuidanceSchedule, delivery.person_id)
    if delivery.origin is DeliveryOrigin.SCHEDULED and schedule is not None and family is not None:
        await plan_next(session, schedule, max(delivery.due_at, now))
    stopped = schedule is not None and not schedule.weekdays
    tip = None if family is None or stopped else await _pick(session, delivery, family, content, now)
    if tip is None:
        delivery.status = DeliveryStatus.CANCELLED
        report.cancelled += 1
        return
    send_at = outside_quiet_hours(now, family.timezone)
    delivery.tip_id, delivery.sent_at = tip.id, send_at
    if tip.activity is not None:
        delivery.ask_at = outside_quiet_hours(send_at + ASK_AFTER, family.timezone)
    await enqueue(
        session,
        delivery.person_id,
        "guidance_tip",
        {"delivery_id": delivery.id, "tip_id": tip.id},
        priority=Priority.BULK,
        not_before=send_at,
        dedupe_key=f"guidance:{delivery.id}:tip",
        resend_if_unsure=False,
    )
    report.sent += 1


async def _pick(
    session: AsyncSession, delivery: GuidanceDelivery, family: Family, content: GuidanceContent, now: datetime
) -> Tip | None:
    if delivery.tip_id is not None:
        return content.tip(delivery.tip_id)
    child = await session.get(Child, delivery.child_id) if delivery.child_id is not None else None
    if delivery.topic_id is None:
        candidates = family.candidates(content, now)
    elif child is not None:
        # Targeted and follow-up tips are about one child: that child's age, whatever the others' are.
        band = band_of(child.birth_year, child.birth_month, local_date(now, family.timezone))
        topic = content.topic(delivery.topic_id)
        candidates = [] if topic is None else tips_for(content, topic.track, [band], delivery.topic_id)
    else:
        candidates = family.candidates(content, now, delivery.topic_id)
    if delivery.tip_choices:
        candidates = [tip for tip in candidates if tip.id in delivery.tip_choices] or candidates
    return choose(candidates, await last_sent(session, delivery.person_id))


async def _ask(session: AsyncSession, delivery_id: int, now: datetime, report: GuidanceReport) -> None:
    result = await session.execute(
        update(GuidanceDelivery)
        .where(GuidanceDelivery.id == delivery_id, GuidanceDelivery.asked_at.is_(None))
        .values(asked_at=now)
    )
    if result.rowcount != 1:
        return
    delivery = await session.get(GuidanceDelivery, delivery_id, populate_existing=True)
    family = await family_of(session, delivery.person_id)
    if family is None:
        return
    await enqueue(
        session,
        delivery.person_id,
        "guidance_ask",
        {"delivery_id": delivery.id, "tip_id": delivery.tip_id},
        priority=Priority.BULK,
        not_before=outside_quiet_hours(now, family.timezone),
        dedupe_key=f"guidance:{delivery.id}:ask",
        resend_if_unsure=False,
    )
    report.asked += 1
