"""A check-in that says "no contact with the parents this week" counts a three-week silence in the contact log
like a second week without contact, and so becomes routine for the counselling room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.cases.models import Flag
from bot.checkins import screens as cs
from bot.checkins.flow import Checkins
from bot.checkins.models import Checkin
from bot.checkins.questionnaire import LEFT_OUT
from bot.contact.models import ContactEvent, ContactKind
from bot.families import service as families
from bot.families.models import ParentRelation
from bot.people.models import Person
from tests import factories

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
CALM = {"mood": "no", "withdrawn": "no", "sleep_eating": "no", "temper": "no", "school": "no"}
REST = {"wish_to_die": "no", "self_harm": "no", "hurt_by_others": "no", "caregiver": "fine"}


async def answer_check_in(
    db, flow: Checkins, caregiver_id: int, child_id: int, parents: str, voice_file_id: str | None = None
) -> list:
    """Answers each question the check-in asks (which depends on the child's age and what was asked lately),
    with a voice note sent after the first answer when one is given."""
    answers = {**CALM, "fears": "no", "phone_use": "no", "parents": parents, **REST, "anything_else": "skip"}
    async with db.session() as session:
        person = await session.get(Person, caregiver_id)
        screens = await flow.begin(session, person, child_id)
    while isinstance(screens[-1], cs.AskQuestion | cs.AskNote):
        asked = screens[-1]
        async with db.session() as session:
            person = await session.get(Person, caregiver_id)
            screens = await flow.answer(
                session, person, asked.checkin_id, asked.question.id, answers[asked.question.id]
            )
            if voice_file_id is not None:
                screens = await flow.keep_note(session, person, voice_file_id=voice_file_id)
                voice_file_id = None
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


async def test_the_caregivers_own_coping_is_asked_once_in_four_weeks_and_questions_fit_the_age(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, ("甲", "乙"), now=NOW)
    content = factories.CONTENT
    days = [NOW]
    flow = Checkins(content.pack, content.checkins, content.scanner, clock=lambda: days[-1])

    async def opening(child_id: int) -> dict:
        await answer_check_in(db, flow, family.caregiver_id, child_id, parents="often")
        async with db.session() as session:
            checkin = await session.scalar(select(Checkin).order_by(Checkin.id.desc()).limit(1))
        return {question: answer for question, answer in checkin.answers.items() if answer == LEFT_OUT}

    # Both children are 11: no question for little ones. Coping is asked with the first child's check-in only.
    assert await opening(family.child_ids[0]) == {"fears": LEFT_OUT}
    assert await opening(family.child_ids[1]) == {"fears": LEFT_OUT, "caregiver": LEFT_OUT}
    days.append(NOW + timedelta(weeks=3))
    assert "caregiver" in await opening(family.child_ids[0])
    days.append(NOW + timedelta(weeks=4, days=1))
    assert "caregiver" not in await opening(family.child_ids[0]), "four weeks on, she is asked again"


async def test_a_voice_note_in_a_calm_check_in_still_reaches_the_counsellor(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    content = factories.CONTENT
    flow = Checkins(content.pack, content.checkins, content.scanner, clock=lambda: NOW)
    await answer_check_in(db, flow, family.caregiver_id, family.child_ids[0], parents="often", voice_file_id="v1")
    [flag] = await flags(db)
    assert (flag.level.value, flag.reasons, flag.voice_file_id) == ("routine", ["for_counsellor"], "v1")
