"""Time limits on cases as durable timers: a flag starts the clock, taking stops it, and each reminder, escalation
and follow-up goes out exactly once, across repeated ticks and restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.cases import deadlines
from bot.cases.deadlines import run_due_follow_ups, run_due_timers
from bot.cases.models import (
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
from bot.db import Database
from bot.outbox.models import OutboxMessage, Priority
from bot.people.models import Person
from bot.telegram import render_deadlines
from bot.telegram.render import Style
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, tzinfo=SHANGHAI).astimezone(UTC)
TUESDAY_8PM = datetime(2026, 12, 1, 20, tzinfo=SHANGHAI).astimezone(UTC)
WEDNESDAY_0830 = datetime(2026, 12, 2, 8, 30, tzinfo=SHANGHAI).astimezone(UTC)


async def flag(db: Database, child_id: int, level: Level, now: datetime) -> int:
    return await factories.flag(db, child_id, level, now, reason="said_want_to_die")


async def take(db: Database, case_id: int, person_id: int, now: datetime) -> None:
    """What the case service does when a counsellor takes a case."""
    async with db.session() as session:
        case = await session.get(Case, case_id)
        case.status, case.assigned_to_id, case.taken_at = CaseStatus.TAKEN, person_id, now
        add_event(session, case, EventKind.TAKEN, actor_id=person_id, now=now)
        await deadlines.stop_take_clock(session, case, now)


async def person_id(db: Database, telegram_user_id: int) -> int:
    async with db.session() as session:
        return await session.scalar(select(Person.id).where(Person.telegram_user_id == telegram_user_id))


async def outbox(db: Database, kind: str) -> list[OutboxMessage]:
    async with db.session() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
        return list(rows.all())


async def events(db: Database, case_id: int, kind: EventKind) -> list[CaseEvent]:
    async with db.session() as session:
        rows = await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind))
        return list(rows.all())


async def timers(db: Database, case_id: int) -> list[CaseTimer]:
    async with db.session() as session:
        rows = await session.scalars(select(CaseTimer).where(CaseTimer.case_id == case_id).order_by(CaseTimer.id))
        return list(rows.all())


async def one_child(
    db: Database, *, counsellors: tuple[int, ...] = (900, 901), region: str = "云阳县", caregiver: int = 100
) -> int:
    school = await factories.school(db, f"{region}小学", counsellors=counsellors, region=region, now=WEDNESDAY_NOON)
    family = await factories.family(db, school, caregiver, now=WEDNESDAY_NOON)
    return family.child_ids[0]


def live(found: list[CaseTimer]) -> list[tuple[TimerKind, datetime]]:
    return [(t.kind, t.due_at) for t in found if t.fired_at is None and t.cancelled_at is None]


async def test_a_flag_starts_the_clock_and_taking_the_case_stops_it(db) -> None:
    child = await one_child(db)
    case_id = await flag(db, child, Level.URGENT, WEDNESDAY_NOON)
    assert live(await timers(db, case_id)) == [
        (TimerKind.REMIND, WEDNESDAY_NOON + timedelta(minutes=15)),
        (TimerKind.ESCALATE, WEDNESDAY_NOON + timedelta(minutes=30)),
    ]

    await take(db, case_id, await person_id(db, 900), WEDNESDAY_NOON + timedelta(minutes=5))
    assert live(await timers(db, case_id)) == []
    report = await run_due_timers(db, WEDNESDAY_NOON + timedelta(hours=1))
    assert (report.reminded, report.escalated) == (0, 0)
    assert await outbox(db, "case_reminder") == []


async def test_the_reminder_fires_once_at_the_target_across_ticks_and_restarts(db, database_url) -> None:
    child = await one_child(db)
    case_id = await flag(db, child, Level.URGENT, WEDNESDAY_NOON)
    target = WEDNESDAY_NOON + timedelta(minutes=15)

    assert (await run_due_timers(db, target - timedelta(seconds=1))).reminded == 0
    assert (await run_due_timers(db, target)).reminded == 1
    assert (await run_due_timers(db, target + timedelta(seconds=30))).reminded == 0
    restarted = Database(database_url, clock=db.clock)
    try:
        assert (await run_due_timers(restarted, target + timedelta(minutes=1))).reminded == 0
    finally:
        await restarted.dispose()

    reminders = await outbox(db, "case_reminder")
    counsellors = {await person_id(db, 900), await person_id(db, 901)}
    assert {r.person_id for r in reminders} == counsellors and len(reminders) == 2
    assert all(r.priority == Priority.URGENT and r.not_before == target for r in reminders)
    [event] = await events(db, case_id, EventKind.REMINDED)
    assert event.details["audience"] == "counsellors" and event.details["notified"] == 2

    for language in ("en", "zh_Hans"):
        rendered = render_deadlines.case_reminder(reminders[0].params, Style(language=language, bot_username="b"))
        assert "小明" in rendered.text and f"#{case_id}" in rendered.text
        assert [data for _, data in rendered.buttons[0]] == [f"cs:{case_id}:take", f"cs:{case_id}:open"]


async def test_escalation_at_twice_the_target_reaches_only_that_regions_supervisors(db) -> None:
    child = await one_child(db, region="云阳县")
    await one_child(db, counsellors=(910,), region="奉节县", caregiver=101)
    ours = await factories.supervisor(db, 800, "云阳县", now=WEDNESDAY_NOON)
    await factories.supervisor(db, 801, "奉节县", now=WEDNESDAY_NOON)
    case_id = await flag(db, child, Level.HIGH, TUESDAY_8PM)  # out of school hours: due 08:30, escalated 09:00

    report = await run_due_timers(db, WEDNESDAY_0830)
    assert (report.reminded, report.escalated) == (1, 0)
    assert await outbox(db, "case_escalation") == []
    report = await run_due_timers(db, WEDNESDAY_0830 + timedelta(minutes=30))
    again = await run_due_timers(db, WEDNESDAY_0830 + timedelta(minutes=31))
    assert (report.escalated, again.escalated) == (1, 0)

    [escalation] = await outbox(db, "case_escalation")
    assert escalation.person_id == ours and escalation.priority == Priority.NORMAL
    assert len(await events(db, case_id, EventKind.ESCALATED)) == 1
    rendered = render_deadlines.case_escalation(escalation.params, Style(language="en", bot_username="b"))
    assert "Nobody has taken this case" in rendered.text
    assert rendered.buttons == [[("📂 Open", f"cs:{case_id}:open")]]


async def test_a_closed_cases_timers_never_fire(db) -> None:
    child = await one_child(db)
    case_id = await flag(db, child, Level.URGENT, WEDNESDAY_NOON)
    async with db.session() as session:
        case = await session.get(Case, case_id)
        case.status, case.closed_at = CaseStatus.CLOSED, WEDNESDAY_NOON + timedelta(minutes=1)

    report = await run_due_timers(db, WEDNESDAY_NOON + timedelta(hours=1))
    assert (report.reminded, report.escalated, report.messages) == (0, 0, 0)
    assert all(t.fired_at is None and t.cancelled_at is not None for t in await timers(db, case_id))
    assert await events(db, case_id, EventKind.REMINDED) == []


async def test_a_rise_on_a_taken_case_reminds_its_counsellor_until_they_act(db) -> None:
    child = await one_child(db)
    await factories.supervisor(db, 800, "云阳县", now=WEDNESDAY_NOON)
    case_id = await flag(db, child, Level.ROUTINE, WEDNESDAY_NOON)
    mine = await person_id(db, 900)
    await take(db, case_id, mine, WEDNESDAY_NOON + timedelta(minutes=1))
    risen = WEDNESDAY_NOON + timedelta(hours=1)
    await flag(db, child, Level.URGENT, risen)

    assert (await run_due_timers(db, risen + timedelta(minutes=15))).reminded == 1
    [reminder] = await outbox(db, "case_reminder")
    assert reminder.person_id == mine and reminder.params["audience"] == "assignee"
    rendered = render_deadlines.case_reminder(reminder.params, Style(language="en", bot_username="b"))
    assert "This case is yours" in rendered.text

    async with db.session() as session:  # the counsellor writes a note: the case is answered
        case = await session.get(Case, case_id)
        add_event(session, case, EventKind.NOTE, actor_id=mine, now=risen + timedelta(minutes=20), text="called")
    assert (await run_due_timers(db, risen + timedelta(minutes=30))).escalated == 0
    assert await outbox(db, "case_escalation") == []


async def test_restarting_the_clock_onto_a_cancelled_due_time_revives_that_timer(db) -> None:
    child = await one_child(db)
    case_id = await flag(db, child, Level.HIGH, TUESDAY_8PM)
    async with db.session() as session:
        case = await session.get(Case, case_id)
        await deadlines.stop_take_clock(session, case, TUESDAY_8PM + timedelta(minutes=30))
    async with db.session() as session:
        case = await session.get(Case, case_id)
        await deadlines.start_take_clock(session, case, TUESDAY_8PM + timedelta(hours=1))

    found = await timers(db, case_id)
    assert len(found) == 2  # the same two rows, live again
    assert live(found) == [
        (TimerKind.REMIND, WEDNESDAY_0830),
        (TimerKind.ESCALATE, WEDNESDAY_0830 + timedelta(minutes=30)),
    ]


async def test_a_follow_up_fires_once_at_its_time(db) -> None:
    child = await one_child(db)
    case_id = await flag(db, child, Level.ROUTINE, WEDNESDAY_NOON)
    mine = await person_id(db, 900)
    await take(db, case_id, mine, WEDNESDAY_NOON)
    due_at = WEDNESDAY_NOON + timedelta(days=2)
    async with db.session() as session:
        session.add(FollowUp(case_id=case_id, counsellor_id=mine, due_at=due_at))

    assert (await run_due_follow_ups(db, due_at - timedelta(minutes=1))).follow_ups_due == 0
    assert (await run_due_follow_ups(db, due_at)).follow_ups_due == 1
    assert (await run_due_follow_ups(db, due_at + timedelta(minutes=1))).follow_ups_due == 0

    [message] = await outbox(db, "follow_up_due")
    assert message.person_id == mine and message.not_before == due_at
    async with db.session() as session:
        assert (await session.scalar(select(FollowUp))).status is FollowUpStatus.DUE
    assert len(await events(db, case_id, EventKind.FOLLOW_UP_DUE)) == 1
    rendered = render_deadlines.follow_up_due(message.params, Style(language="zh_Hans", bot_username="b"))
    assert "小明" in rendered.text and rendered.buttons == [[(rendered.buttons[0][0][0], f"cs:{case_id}:open")]]
