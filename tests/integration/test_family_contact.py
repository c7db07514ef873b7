"""Family contact as rows: call plans across time zones, reminders and questions once each, lapses, the weekly
line, summaries decided once, and the relay's checks, against a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.checkins.models import Checkin, CheckinOrigin, CheckinStatus
from bot.contact import screens as ct
from bot.contact.due import run_contact_due
from bot.contact.models import Call, CallOutcome, CallStatus, ContactEvent, ContactKind, SummaryConsent
from bot.contact.service import RELAY_FLOW, Contact, Incoming
from bot.conversations import store
from bot.families import service as families
from bot.families.models import ParentRelation
from bot.onboarding import screens as s
from bot.outbox.models import OutboxMessage
from bot.people.models import Person
from tests import factories

WEDNESDAY_NOON = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
STARTERS = factories.CONTENT.starters
BERLIN = 5  # Europe/Berlin in the zone buttons of a school in Asia/Shanghai


async def setup(db, now=WEDNESDAY_NOON):
    school = await factories.school(db, "青山小学", now=now)
    home = await factories.family(db, school, 100, now=now)
    mum = await factories.person(db, 101, language="en")
    async with db.session() as session:
        await families.link_parent(
            session, person_id=mum, child_id=home.child_ids[0], relation=ParentRelation.MOTHER, now=now
        )
    return home, mum


async def outbox(db, kind: str) -> list[OutboxMessage]:
    async with db.session() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
        return list(rows.all())


async def calls(db) -> list[Call]:
    async with db.session() as session:
        return list((await session.scalars(select(Call).order_by(Call.at))).all())


async def plan_saturday_noon_in_berlin(db, home, mum) -> Call:
    contact = Contact(clock=lambda: WEDNESDAY_NOON)
    async with db.session() as session:
        [planned] = await contact.plan(session, await session.get(Person, mum), home.child_ids[0], BERLIN, 5, 12 * 60)
    assert isinstance(planned, ct.CallPlanned) and planned.plan.timezone == "Europe/Berlin"
    [call] = await calls(db)
    return call


async def test_a_call_in_another_zone_is_stored_in_utc_and_reminds_and_asks_once_each(db) -> None:
    home, mum = await setup(db)
    call = await plan_saturday_noon_in_berlin(db, home, mum)
    assert call.at == datetime(2026, 11, 28, 11, 0, tzinfo=UTC)  # 12:00 in Berlin, 19:00 at home

    assert (await run_contact_due(db, STARTERS, call.at - timedelta(minutes=61))).reminded == 0
    first = await run_contact_due(db, STARTERS, call.at - timedelta(minutes=59))
    again = await run_contact_due(db, STARTERS, call.at - timedelta(minutes=58))
    assert (first.reminded, again.reminded) == (1, 0)
    [to_grandma] = await outbox(db, "call_reminder_caregiver")
    [to_mum] = await outbox(db, "call_reminder_parent")
    assert to_grandma.person_id == home.caregiver_id and to_grandma.params["timezone"] == "Asia/Shanghai"
    assert to_mum.params["timezone"] == "Europe/Berlin" and len(to_mum.params["starters"]) == 3
    this, following = await calls(db)
    assert following.at - this.at == timedelta(weeks=1) and following.status is CallStatus.SCHEDULED

    assert (await run_contact_due(db, STARTERS, call.at + timedelta(minutes=59))).asked == 0
    assert (await run_contact_due(db, STARTERS, call.at + timedelta(minutes=61))).asked == 1
    assert (await run_contact_due(db, STARTERS, call.at + timedelta(minutes=62))).asked == 0
    assert sorted(row.params["parent"] for row in await outbox(db, "call_ask")) == [False, True]


async def test_after_downtime_through_the_slot_the_question_comes_but_no_stale_reminder(db) -> None:
    home, mum = await setup(db)
    call = await plan_saturday_noon_in_berlin(db, home, mum)
    await run_contact_due(db, STARTERS, call.at + timedelta(hours=3))
    await run_contact_due(db, STARTERS, call.at + timedelta(hours=3, seconds=30))
    assert await outbox(db, "call_reminder_caregiver") == [] and len(await outbox(db, "call_ask")) == 2


async def test_only_the_family_answers_a_call_and_the_first_answer_counts(db) -> None:
    home, mum = await setup(db)
    call = await plan_saturday_noon_in_berlin(db, home, mum)
    await run_contact_due(db, STARTERS, call.at + timedelta(minutes=61))
    stranger = await factories.person(db, 999)
    contact = Contact(clock=lambda: call.at + timedelta(hours=2))
    async with db.session() as session:
        forged = await contact.outcome(session, await session.get(Person, stranger), call.id, CallOutcome.TALKED)
        taken = await contact.remove(session, await session.get(Person, stranger), call.plan_id)
        planned = await contact.plan(session, await session.get(Person, stranger), home.child_ids[0], 0, 5, 720)
    assert forged == taken == planned == [s.StaleButton()]
    async with db.session() as session:
        grandma = await session.get(Person, home.caregiver_id)
        [noted] = await contact.outcome(session, grandma, call.id, CallOutcome.RESCHEDULE)
        [late] = await contact.outcome(session, await session.get(Person, mum), call.id, CallOutcome.TALKED)
    assert isinstance(noted, ct.OutcomeNoted) and isinstance(late, ct.OutcomeAlreadyNoted)
    [asked] = await outbox(db, "call_reschedule_asked")
    assert asked.person_id == mum and asked.params["who"] == "grandmother"


async def test_a_lapse_nudges_once_and_the_weekly_line_only_ever_celebrates(db) -> None:
    home, mum = await setup(db)
    child = home.child_ids[0]
    thirteen_days = WEDNESDAY_NOON + timedelta(days=13)
    assert (await run_contact_due(db, STARTERS, thirteen_days)).nudged == 0
    fifteen_days = WEDNESDAY_NOON + timedelta(days=15)
    assert (await run_contact_due(db, STARTERS, fifteen_days)).nudged == 1
    assert (await run_contact_due(db, STARTERS, fifteen_days + timedelta(minutes=1))).nudged == 0

    sunday_evening = datetime(2026, 12, 13, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
    assert (await run_contact_due(db, STARTERS, sunday_evening)).weekly == 0, "no contact: nothing said"
    async with db.session() as session:
        for days_ago in (2, 9):
            at = sunday_evening - timedelta(days=days_ago)
            session.add(ContactEvent(parent_id=mum, child_id=child, kind=ContactKind.CALL, at=at))
    assert (await run_contact_due(db, STARTERS, sunday_evening + timedelta(minutes=1))).weekly == 1
    assert (await run_contact_due(db, STARTERS, sunday_evening + timedelta(minutes=2))).weekly == 0
    [line] = await outbox(db, "contact_weekly")
    assert line.params == {"nickname": "小明", "contacts": 1, "weeks": 2}


async def test_a_summary_is_decided_once_per_check_in_and_holds_no_red_flag_answers(db) -> None:
    home, mum = await setup(db)
    now = WEDNESDAY_NOON + timedelta(days=1)
    async with db.session() as session:
        session.add(SummaryConsent(person_id=home.caregiver_id, share=True))
        session.add(
            Checkin(
                child_id=home.child_ids[0],
                caregiver_id=home.caregiver_id,
                origin=CheckinOrigin.SCHEDULED,
                status=CheckinStatus.COMPLETED,
                due_at=now - timedelta(hours=2),
                completed_at=now - timedelta(hours=1),
                answers={"mood": "no", "self_harm": "yes", "school": "sometimes", "caregiver": "cant_cope"},
                note="secret words",
            )
        )
    assert (await run_contact_due(db, STARTERS, now)).summaries == 1
    assert (await run_contact_due(db, STARTERS, now + timedelta(minutes=1))).summaries == 0
    [summary] = await outbox(db, "parent_summary")
    assert summary.person_id == mum and summary.private_params is None
    assert {key: summary.params[key] for key in ("mood", "sleep", "school", "coping")} == {
        "mood": 0,
        "sleep": None,
        "school": 1,
        "coping": 2,
    }
    assert "self_harm" not in str(summary.params) and "secret" not in str(summary.params)


async def test_the_relay_passes_on_only_what_was_asked_for_and_says_who_cannot_be_reached(db) -> None:
    home, mum = await setup(db)
    contact = Contact(clock=lambda: WEDNESDAY_NOON)
    async with db.session() as session:
        parent = await session.get(Person, mum)
        assert await contact.relay(session, parent, Incoming(101, 5)) is None, "not asked: not relayed"
        [asked] = await contact.ask_relay(session, parent, home.child_ids[0])
        assert isinstance(asked, ct.AskRelay) and asked.to == ("grandmother",)
        assert (await store.current(session, mum)).flow == RELAY_FLOW
        (await session.get(Person, home.caregiver_id)).unreachable_since = WEDNESDAY_NOON
        [refused] = await contact.relay(session, parent, Incoming(101, 6))
    assert refused == ct.RelayImpossible("小明", ("grandmother",))
    assert await outbox(db, "relay_label") == []


async def test_a_birthday_day_set_by_the_family_reminds_each_parent_a_week_and_a_day_ahead(db) -> None:
    home, mum = await setup(db)  # 小明 was born in March 2015
    child = home.child_ids[0]
    contact = Contact(clock=lambda: WEDNESDAY_NOON)
    stranger = await factories.person(db, 999)
    async with db.session() as session:
        assert await contact.set_birthday(session, await session.get(Person, stranger), child, 12) == [s.StaleButton()]
        assert await contact.set_birthday(session, await session.get(Person, mum), child, 32) == [s.StaleButton()]
        [days] = await contact.choose_birthday(session, await session.get(Person, mum), child)
        [saved] = await contact.set_birthday(session, await session.get(Person, mum), child, 12)
    assert days.days[-1] == 31 and saved == ct.BirthdaySaved("小明", 3, 12)

    week_before = datetime(2027, 3, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert (await run_contact_due(db, STARTERS, week_before - timedelta(hours=2))).birthdays == 0, "not at 08:00"
    assert (await run_contact_due(db, STARTERS, week_before)).birthdays == 1
    assert (await run_contact_due(db, STARTERS, week_before + timedelta(hours=1))).birthdays == 0
    assert (await run_contact_due(db, STARTERS, week_before + timedelta(days=6))).birthdays == 1
    reminders = await outbox(db, "birthday_reminder")
    assert [(r.person_id, r.params["days"], r.params["age"]) for r in reminders] == [(mum, 7, 12), (mum, 1, 12)]


async def test_a_new_time_proposed_by_one_side_moves_the_plan_only_when_the_other_agrees(db) -> None:
    home, mum = await setup(db)
    call = await plan_saturday_noon_in_berlin(db, home, mum)
    contact = Contact(clock=lambda: WEDNESDAY_NOON)
    stranger = await factories.person(db, 999)
    async with db.session() as session:
        grandma = await session.get(Person, home.caregiver_id)
        # Grandma picks Sunday 18:00 in her own (home's) time: 11:00 in Berlin.
        [sent] = await contact.propose(session, grandma, call.plan_id, 6, 18 * 60)
    assert sent == ct.ProposalSent("小明", ("mother",))
    [asked] = await outbox(db, "call_proposal")
    assert asked.person_id == mum and asked.params["timezone"] == "Europe/Berlin"
    proposal_id = asked.params["proposal_id"]
    async with db.session() as session:
        for someone in (stranger, home.caregiver_id):  # a stranger, and the proposer herself
            assert await contact.answer_proposal(session, await session.get(Person, someone), proposal_id, True) == [
                s.StaleButton()
            ]
        [agreed] = await contact.answer_proposal(session, await session.get(Person, mum), proposal_id, True)
        [late] = await contact.answer_proposal(session, await session.get(Person, mum), proposal_id, False)
    assert agreed == ct.ProposalAnswered("小明", True) and isinstance(late, ct.ProposalClosed)
    [moved] = await calls(db)
    berlin = moved.at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (berlin.weekday(), berlin.hour) == (6, 11) and moved.status is CallStatus.SCHEDULED
    [answer] = await outbox(db, "call_proposal_answer")
    assert answer.person_id == home.caregiver_id and answer.params["accepted"] is True

    async with db.session() as session:
        await contact.propose(session, await session.get(Person, mum), call.plan_id, 0, 9 * 60)
    proposal_id = (await outbox(db, "call_proposal"))[-1].params["proposal_id"]
    async with db.session() as session:
        grandma = await session.get(Person, home.caregiver_id)
        [kept] = await contact.answer_proposal(session, grandma, proposal_id, False)
    assert kept == ct.ProposalAnswered("小明", False)
    assert (await calls(db))[0].at == moved.at
