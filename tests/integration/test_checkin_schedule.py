"""Scheduled check-ins as rows: they fall due, remind, go missed, and three misses open a case, exactly once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.cases.models import Case, Flag, FlagSource
from bot.checkins.due import run_due
from bot.checkins.models import Checkin, CheckinSchedule, CheckinStatus
from bot.checkins.planning import move_slot
from bot.outbox.models import OutboxMessage
from bot.people.models import Person
from tests import factories

WEDNESDAY_NOON = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
FIRST_SLOT = datetime(2026, 11, 29, 11, 0, tzinfo=UTC)  # Sunday 19:00 in Shanghai
WEEKLY = factories.CONTENT.checkins.weekly


async def checkins(db) -> list[Checkin]:
    async with db.session() as session:
        return list((await session.scalars(select(Checkin).order_by(Checkin.due_at))).all())


async def outbox(db, kind: str) -> list[OutboxMessage]:
    async with db.session() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
        return list(rows.all())


async def test_the_first_check_in_is_planned_for_sunday_evening_local_time(db) -> None:
    school = await factories.school(db, "青山小学", now=WEDNESDAY_NOON)
    await factories.family(db, school, 100, now=WEDNESDAY_NOON)
    [planned] = await checkins(db)
    assert planned.status is CheckinStatus.SCHEDULED and planned.due_at == FIRST_SLOT


async def test_a_due_check_in_is_sent_once_then_reminded_once_then_missed(db) -> None:
    school = await factories.school(db, "青山小学", now=WEDNESDAY_NOON)
    grandma = await factories.family(db, school, 100, now=WEDNESDAY_NOON)

    assert (await run_due(db, WEEKLY, FIRST_SLOT - timedelta(minutes=1))).opened == 0
    report = await run_due(db, WEEKLY, FIRST_SLOT)
    again = await run_due(db, WEEKLY, FIRST_SLOT + timedelta(seconds=30))  # a second tick, or a restart
    assert (report.opened, again.opened) == (1, 0)
    [invite] = await outbox(db, "checkin_invite")
    assert invite.person_id == grandma.caregiver_id and invite.params["nickname"] == "小明"
    first, following = await checkins(db)
    assert first.status is CheckinStatus.OPEN
    assert following.status is CheckinStatus.SCHEDULED and following.due_at == FIRST_SLOT + timedelta(weeks=1)

    assert (await run_due(db, WEEKLY, FIRST_SLOT + timedelta(hours=23))).reminded == 0
    assert (await run_due(db, WEEKLY, FIRST_SLOT + timedelta(hours=24))).reminded == 1
    assert (await run_due(db, WEEKLY, FIRST_SLOT + timedelta(hours=25))).reminded == 0
    [reminder] = await outbox(db, "checkin_reminder")
    assert reminder.not_before == FIRST_SLOT + timedelta(hours=24)

    assert (await run_due(db, WEEKLY, FIRST_SLOT + timedelta(hours=72))).missed == 1
    assert (await checkins(db))[0].status is CheckinStatus.MISSED


async def test_a_reminder_falling_in_quiet_hours_waits_for_the_morning(db) -> None:
    school = await factories.school(db, "青山小学", now=WEDNESDAY_NOON)
    grandma = await factories.family(db, school, 100, now=WEDNESDAY_NOON)
    async with db.session() as session:
        schedule = await session.get(CheckinSchedule, grandma.caregiver_id)
        await move_slot(session, schedule, weekday=6, minute_of_day=21 * 60 + 45, now=WEDNESDAY_NOON)
    [planned] = await checkins(db)
    await run_due(db, WEEKLY, planned.due_at)
    [invite] = await outbox(db, "checkin_invite")
    # 21:45 is inside quiet hours (21:30–07:30): the question waits until 07:30 the next morning.
    assert invite.not_before == datetime(2026, 11, 29, 23, 30, tzinfo=UTC)


async def test_three_missed_check_ins_open_one_routine_case_for_that_schools_counsellors(db) -> None:
    here = await factories.school(db, "青山小学", counsellors=(900, 901), now=WEDNESDAY_NOON)
    await factories.school(db, "河边小学", counsellors=(902,), now=WEDNESDAY_NOON)
    await factories.family(db, here, 100, now=WEDNESDAY_NOON)
    for week in range(4):
        await run_due(db, WEEKLY, FIRST_SLOT + timedelta(weeks=week))
        await run_due(db, WEEKLY, FIRST_SLOT + timedelta(weeks=week, hours=72))
    async with db.session() as session:
        cases = (await session.scalars(select(Case))).all()
        flags = (await session.scalars(select(Flag))).all()
        counsellors = {p.telegram_user_id: p.id for p in (await session.scalars(select(Person))).all()}
    assert [c.severity.value for c in cases] == ["routine"]
    assert [(f.source, f.missed_in_a_row) for f in flags] == [(FlagSource.MISSED, 3)], "flagged once, at the third"
    alerts = await outbox(db, "case_alert")
    assert {a.person_id for a in alerts} == {counsellors[900], counsellors[901]}
    assert all(a.params["reasons"] == ["missed_checkins"] for a in alerts)
