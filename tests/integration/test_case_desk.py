"""The counsellor's desk as the domain sees it: who may see and do what, the queue's order, closing and reopening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from bot.cases import screens as cx
from bot.cases.desk import Desk
from bot.cases.models import Case, CaseStatus, FollowUp, FollowUpStatus
from bot.cases.screens import Folder, Purpose
from bot.cases.severity import Level
from bot.contact.models import ContactEvent, ContactKind
from bot.families import service as families
from bot.families.models import ParentRelation
from bot.onboarding import screens as s
from bot.people.models import Person
from bot.schools.models import SchoolCounsellor
from tests import factories
from tests.clock import FixedClock

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Shanghai
STALE = [s.StaleButton()]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def desk(clock) -> Desk:
    return Desk(clock=clock)


async def flag(db, child_id: int, level: Level, now: datetime = NOW) -> int:
    return await factories.flag(db, child_id, level, now)


async def act(db, telegram_user_id: int, call):
    async with db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))
        return await call(session, person)


async def test_staff_see_only_their_schools_and_region(db, desk) -> None:
    here = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    await factories.school(db, "河边小学", counsellors=(20,), now=NOW)
    await factories.school(db, "山外小学", counsellors=(), region="别的县", now=NOW)
    await factories.supervisor(db, 30, "云阳县", now=NOW)
    await factories.supervisor(db, 40, "别的县", now=NOW)
    family = await factories.family(db, here, 100, now=NOW)
    case_id = await flag(db, family.child_ids[0], Level.HIGH)

    assert await act(db, 20, lambda session, p: desk.open(session, p, case_id)) == STALE
    assert await act(db, 20, lambda session, p: desk.take(session, p, case_id)) == STALE
    assert await act(db, 20, lambda session, p: desk.ask_text(session, p, case_id, Purpose.NOTE)) == STALE
    assert await act(db, 40, lambda session, p: desk.open(session, p, case_id)) == STALE
    assert await act(db, 100, lambda session, p: desk.open(session, p, case_id)) == STALE, "caregivers never see it"
    [card] = await act(db, 30, lambda session, p: desk.open(session, p, case_id))
    assert isinstance(card, cx.Card) and "take" not in card.actions, "a supervisor reassigns but does not take"
    [queue] = await act(db, 20, lambda session, p: desk.queue(session, p, Folder.OPEN))
    assert queue.lines == ()


async def test_the_queue_puts_the_most_urgent_then_the_longest_waiting_first(db, desk, clock) -> None:
    here = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, here, 100, ("甲", "乙", "丙", "丁"), now=NOW)
    first_routine = await flag(db, family.child_ids[0], Level.ROUTINE, NOW)
    later_high = await flag(db, family.child_ids[1], Level.HIGH, NOW + timedelta(hours=2))
    earlier_high = await flag(db, family.child_ids[2], Level.HIGH, NOW + timedelta(hours=1))
    urgent = await flag(db, family.child_ids[3], Level.URGENT, NOW + timedelta(hours=3))
    clock.now = NOW + timedelta(hours=4)
    await act(db, 10, lambda session, p: desk.take(session, p, later_high))

    [everything] = await act(db, 10, lambda session, p: desk.queue(session, p, Folder.OPEN))
    assert [line.case_id for line in everything.lines] == [urgent, earlier_high, later_high, first_routine]
    assert everything.lines[1].waiting == timedelta(hours=3)
    [mine] = await act(db, 10, lambda session, p: desk.queue(session, p, Folder.MINE))
    [unassigned] = await act(db, 10, lambda session, p: desk.queue(session, p, Folder.UNASSIGNED))
    assert [line.case_id for line in mine.lines] == [later_high]
    assert later_high not in [line.case_id for line in unassigned.lines]


async def test_a_removed_counsellors_old_buttons_do_nothing(db, desk) -> None:
    here = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, here, 100, now=NOW)
    case_id = await flag(db, family.child_ids[0], Level.URGENT)
    async with db.session() as session:
        await session.execute(delete(SchoolCounsellor))
    assert await act(db, 10, lambda session, p: desk.take(session, p, case_id)) == STALE
    async with db.session() as session:
        assert (await session.get(Case, case_id)).status is CaseStatus.NEW


async def test_closing_cancels_follow_ups_and_reopening_waits_for_the_childs_other_case(db, desk) -> None:
    here = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, here, 100, now=NOW)
    child_id = family.child_ids[0]
    case_id = await flag(db, child_id, Level.HIGH)
    await act(db, 10, lambda session, p: desk.take(session, p, case_id))
    await act(db, 10, lambda session, p: desk.choose(session, p, case_id, "fu", "3d"))
    await act(db, 10, lambda session, p: desk.choose(session, p, case_id, "close", "no_concern"))
    too_long = "字" * 1001
    refused = await act(db, 10, lambda session, p: desk.text(session, p, too_long))
    assert refused[0] == cx.Refused(case_id, "text_length"), "an overlong closing note changes nothing"
    assert await act(db, 10, lambda session, p: desk.text(session, p, "家访后没有发现问题")) == [
        cx.Done(case_id, "closed")
    ]
    async with db.session() as session:
        case = await session.get(Case, case_id)
        follow_up = await session.scalar(select(FollowUp))
    assert (case.status, case.closure_note) == (CaseStatus.CLOSED, "家访后没有发现问题")
    assert follow_up.status is FollowUpStatus.CANCELLED

    second = await flag(db, child_id, Level.ROUTINE)
    assert second != case_id, "a flag after closing opens a new case"
    await act(db, 10, lambda session, p: desk.ask_text(session, p, case_id, Purpose.REOPEN))
    assert await act(db, 10, lambda session, p: desk.text(session, p, "又有新情况")) == [
        cx.Refused(case_id, "child_has_open_case")
    ]


async def test_severity_changes_need_a_reason_and_are_on_the_timeline(db, desk) -> None:
    here = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, here, 100, now=NOW)
    case_id = await flag(db, family.child_ids[0], Level.ROUTINE)
    [ask] = await act(db, 10, lambda session, p: desk.choose(session, p, case_id, "sev", "urgent"))
    assert ask == cx.AskText(case_id, Purpose.SEVERITY)
    await act(db, 10, lambda session, p: desk.text(session, p, "奶奶电话里说孩子今晚不见了"))
    [card] = await act(db, 10, lambda session, p: desk.open(session, p, case_id))
    assert card.severity is Level.URGENT
    change = [e for e in card.events if e.kind.value == "severity_changed"][-1]
    assert change.text == "奶奶电话里说孩子今晚不见了" and change.details == {"old": "routine", "new": "urgent"}


async def test_the_card_shows_when_a_parents_contact_has_lapsed(db, desk, clock) -> None:
    here = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, here, 100, ("甲", "乙"), now=NOW)
    for telegram_user_id, child_id in ((200, family.child_ids[0]), (201, family.child_ids[1])):
        parent_id = await factories.person(db, telegram_user_id)
        async with db.session() as session:
            await families.link_parent(
                session, person_id=parent_id, child_id=child_id, relation=ParentRelation.MOTHER, now=NOW
            )
    async with db.session() as session:
        session.add(ContactEvent(parent_id=parent_id, child_id=family.child_ids[1], kind=ContactKind.CALL, at=NOW))
    clock.now = NOW + timedelta(days=22)
    silent = await flag(db, family.child_ids[0], Level.ROUTINE, clock.now)
    called = await flag(db, family.child_ids[1], Level.ROUTINE, clock.now)
    [silent_card] = await act(db, 10, lambda session, p: desk.open(session, p, silent))
    [called_card] = await act(db, 10, lambda session, p: desk.open(session, p, called))
    assert [(v.last_in_touch, v.lapsed) for v in silent_card.parents] == [(None, True)]
    assert [(v.last_in_touch, v.lapsed) for v in called_card.parents] == [(NOW.date(), True)]
    clock.now = NOW + timedelta(days=20)
    [recent] = await act(db, 10, lambda session, p: desk.open(session, p, called))
    assert [v.lapsed for v in recent.parents] == [False]
