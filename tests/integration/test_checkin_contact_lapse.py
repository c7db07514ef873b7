"""A check-in that says "no contact with the parents this week" counts a three-week silence in the contact log
like a second week without contact, and so becomes routine for the counselling room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.cases.models import Flag
from bot.checkins.flow import Checkins
from bot.contact.models import ContactEvent, ContactKind
from bot.families import service as families
from bot.families.models import ParentRelation
from bot.people.models import Person
from tests import factories

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
CALM = {"mood": "no", "withdrawn": "no", "sleep_eating": "no", "temper": "no", "school": "no"}
REST = {"wish_to_die": "no", "self_harm": "no", "hurt_by_others": "no", "caregiver": "fine"}


async def answer_check_in(db, flow: Checkins, caregiver_id: int, child_id: int, parents: str) -> list:
    async with db.session() as session:
        person = await session.get(Person, caregiver_id)
        [question] = await flow.begin(session, person, child_id)
        checkin_id = question.checkin_id
    for question_id, option_id in [*CALM.items(), ("parents", parents), *REST.items(), ("anything_else", "skip")]:
        async with db.session() as session:
            person = await session.get(Person, caregiver_id)
            screens = await flow.answer(session, person, checkin_id, question_id, option_id)
    return screens


async def flags(db) -> list[Flag]:
    async with db.session() as session:
        return list((await session.scalars(select(Flag))).all())


async def test_a_three_week_silence_in_the_log_makes_no_contact_this_week_routine(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, ("甲", "乙"), now=NOW)
    for telegram_user_id, child_id in ((200, family.child_ids[0]), (201, family.child_ids[1])):
        parent_id = await factories.person(db, telegram_user_id)
        async with db.session() as session:
            await families.link_parent(
                session, person_id=parent_id, child_id=child_id, relation=ParentRelation.MOTHER, now=NOW
            )
    later = NOW + timedelta(days=22)
    async with db.session() as session:  # the second child's mum called last week
        session.add(ContactEvent(parent_id=parent_id, child_id=family.child_ids[1], kind=ContactKind.CALL, at=later))
    content = factories.CONTENT
    flow = Checkins(content.pack, content.checkins, content.scanner, clock=lambda: later + timedelta(hours=1))

    await answer_check_in(db, flow, family.caregiver_id, family.child_ids[1], parents="none")
    assert await flags(db) == [], "a parent in touch through Shouhu: one week without contact is not a flag"
    await answer_check_in(db, flow, family.caregiver_id, family.child_ids[0], parents="none")
    [flag] = await flags(db)
    assert flag.level.value == "routine" and "no_parent_contact" in flag.reasons
