"""Onboarding as the domain sees it: codes, steps, stale and forged presses, on the database under test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.config import PROJECT_ROOT
from bot.consent.models import ConsentRecord
from bot.content import load_content_pack
from bot.conversations import store
from bot.db import Database
from bot.families.invitations import ParentAlreadyLinked, ParentInviteIssued, invite_parent
from bot.families.models import CaregiverLink, Child, ParentLink, ParentRelation
from bot.invites import service as invites
from bot.invites.models import InviteKind
from bot.onboarding import screens as s
from bot.onboarding.flow import Onboarding
from bot.outbox.models import OutboxMessage
from bot.people import service as people
from bot.people.models import Person
from bot.schools import service as schools
from tests.clock import FixedClock

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
CONTENT = load_content_pack(PROJECT_ROOT / "content")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def onboarding(clock: FixedClock) -> Onboarding:
    return Onboarding(CONTENT, clock=clock)


async def new_person(db: Database, telegram_user_id: int) -> Person:
    async with db.session() as session:
        return await people.get_or_create(
            session, telegram_user_id=telegram_user_id, chat_id=telegram_user_id, display_name="x"
        )


async def new_school(db: Database) -> tuple[int, str]:
    async with db.session() as session:
        school, code = await schools.add_school(
            session,
            name="Qingshan Primary",
            region="Yunyang",
            timezone="Asia/Shanghai",
            hotline_region="cn",
            content=CONTENT,
            now=db.clock(),
        )
        return school.id, code


async def step(db: Database, onboarding: Onboarding, person: Person, action: str | None, value: str) -> list:
    """Press a button of the current step (as a real client would, with the current revision), or type text."""
    async with db.session() as session:
        person = await session.get(Person, person.id)
        if action is None:
            return await onboarding.text(session, person, value)
        conversation = await store.current(session, person.id)
        return await onboarding.press(session, person, conversation.revision, action, value)


async def onboard_caregiver(db, onboarding, person, code, *, nickname="小明", year="2015", month="3") -> list:
    async with db.session() as session:
        screens = await onboarding.start(session, await session.get(Person, person.id), code)
    assert isinstance(screens[0], s.AskLanguage)
    await step(db, onboarding, person, "lang", "zh_Hans")
    await step(db, onboarding, person, "consent", "yes")
    await step(db, onboarding, person, "rel", "grandmother")
    await step(db, onboarding, person, None, nickname)
    await step(db, onboarding, person, "year", year)
    return await step(db, onboarding, person, "month", month)


async def count(db: Database, model) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_caregiver_joins_with_the_school_code_and_adds_two_children(db, onboarding) -> None:
    school_id, code = await new_school(db)
    grandma = await new_person(db, 1)
    screens = await onboard_caregiver(db, onboarding, grandma, code)
    assert screens == [s.ChildAdded(screens[0].revision, "小明", 2015, 3)]
    assert isinstance((await step(db, onboarding, grandma, "more", "yes"))[0], s.AskRelation)
    await step(db, onboarding, grandma, "rel", "grandmother")
    await step(db, onboarding, grandma, None, "  小 红 ")
    await step(db, onboarding, grandma, "year", "2019")
    await step(db, onboarding, grandma, "month", "0")
    home = await step(db, onboarding, grandma, "more", "no")
    assert isinstance(home[0], s.Home) and len(home[0].roles.caregiver_child_ids) == 2
    async with db.session() as session:
        children = (await session.scalars(select(Child).order_by(Child.id))).all()
        consents = (await session.scalars(select(ConsentRecord))).all()
    assert [(c.nickname, c.birth_year, c.birth_month, c.school_id) for c in children] == [
        ("小明", 2015, 3, school_id),
        ("小 红", 2019, None, school_id),
    ]
    assert children[0].household_id == children[1].household_id
    assert [(c.scope, c.text_version, c.language) for c in consents] == [
        ("caregiver_terms", CONTENT.consent.caregiver_terms.version, "zh_Hans")
    ]


async def test_a_press_from_an_older_step_or_a_second_press_changes_nothing(db, onboarding) -> None:
    _school_id, code = await new_school(db)
    grandpa = await new_person(db, 2)
    async with db.session() as session:
        first = (await onboarding.start(session, await session.get(Person, grandpa.id), code))[0]
    await step(db, onboarding, grandpa, "lang", "en")
    async with db.session() as session:
        person = await session.get(Person, grandpa.id)
        again = await onboarding.press(session, person, first.revision, "lang", "zh_Hans")
    assert again == [s.StaleButton()]
    async with db.session() as session:
        assert (await session.get(Person, grandpa.id)).language == "en"


@pytest.mark.parametrize(
    ("action", "value"),
    [("consent", "maybe"), ("rel", "king"), ("lang", "fr"), ("year", "1950"), ("year", "x"), ("more", "yes")],
)
async def test_forged_button_data_is_refused_without_a_change(db, onboarding, action, value) -> None:
    _school_id, code = await new_school(db)
    person = await new_person(db, 3)
    async with db.session() as session:
        await onboarding.start(session, await session.get(Person, person.id), code)
    await step(db, onboarding, person, "lang", "zh_Hans")
    await step(db, onboarding, person, "consent", "yes")
    if action != "consent":
        await step(db, onboarding, person, "rel", "grandfather")
        await step(db, onboarding, person, None, "阿强")
    assert await step(db, onboarding, person, action, value) == [s.StaleButton()]
    assert await count(db, Child) == 0


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "nickname_empty"),
        ("x" * 21, "nickname_too_long"),
        ("小\u200b明", "nickname_characters"),
        ('=HYPERLINK("x")', "nickname_formula"),
        ("@小明", "nickname_formula"),
    ],
)
async def test_a_bad_nickname_is_explained_and_asked_again(db, onboarding, typed, code) -> None:
    _school_id, school_code = await new_school(db)
    person = await new_person(db, 4)
    async with db.session() as session:
        await onboarding.start(session, await session.get(Person, person.id), school_code)
    await step(db, onboarding, person, "lang", "zh_Hans")
    await step(db, onboarding, person, "consent", "yes")
    await step(db, onboarding, person, "rel", "grandmother")
    assert await step(db, onboarding, person, None, typed) == [s.InputRefused(code), s.AskNickname()]
    assert isinstance((await step(db, onboarding, person, None, "小明"))[0], s.AskBirthYear)


async def test_declining_consent_keeps_nothing(db, onboarding) -> None:
    _school_id, code = await new_school(db)
    person = await new_person(db, 5)
    async with db.session() as session:
        await onboarding.start(session, await session.get(Person, person.id), code)
    await step(db, onboarding, person, "lang", "zh_Hans")
    assert await step(db, onboarding, person, "consent", "no") == [s.ConsentDeclined()]
    assert await count(db, ConsentRecord) == 0
    async with db.session() as session:
        assert await onboarding.start(session, await session.get(Person, person.id), None) == [s.Welcome()]


async def test_five_wrong_codes_in_an_hour_pause_code_entry(db, onboarding, clock) -> None:
    _school_id, code = await new_school(db)
    person = await new_person(db, 6)
    answers = []
    for _ in range(5):
        answers.append(await step(db, onboarding, person, None, "AAAA-BBBB-CCCC"))
    assert answers[:4] == [[s.CodeRejected()]] * 4
    assert answers[4] == [s.CodesPaused()]
    # Even the right code waits while paused, then works once the hour has passed.
    assert await step(db, onboarding, person, None, code) == [s.CodesPaused()]
    clock.now = NOW + timedelta(hours=1, minutes=1)
    assert isinstance((await step(db, onboarding, person, None, code.lower()))[0], s.AskLanguage)


async def test_counsellor_invite_works_once_and_expires_after_seven_days(db, onboarding, clock) -> None:
    school_id, _code = await new_school(db)
    async with db.session() as session:
        issued = await invites.issue(session, InviteKind.COUNSELLOR, school_id=school_id, now=NOW)
        late = await invites.issue(session, InviteKind.COUNSELLOR, school_id=school_id, now=NOW - timedelta(days=8))
    teacher, other = await new_person(db, 7), await new_person(db, 8)
    async with db.session() as session:
        screens = await onboarding.start(session, await session.get(Person, teacher.id), issued.code)
    assert isinstance(screens[0], s.AskLanguage)
    joined = await step(db, onboarding, teacher, "lang", "en")
    assert joined[0] == s.JoinedSchool("Qingshan Primary") and joined[1].roles.counsellor_school_ids == (school_id,)
    async with db.session() as session:
        assert await onboarding.start(session, await session.get(Person, other.id), issued.code) == [s.CodeRejected()]
        assert await onboarding.start(session, await session.get(Person, other.id), late.code) == [s.CodeRejected()]


async def test_caregiver_invites_a_parent_who_is_linked_and_the_caregiver_told(db, onboarding) -> None:
    _school_id, code = await new_school(db)
    grandma, mum, stranger = await new_person(db, 10), await new_person(db, 11), await new_person(db, 12)
    await onboard_caregiver(db, onboarding, grandma, code)
    async with db.session() as session:
        child_id = await session.scalar(select(Child.id))
        assert (
            await invite_parent(
                session, caregiver_id=stranger.id, child_id=child_id, relation=ParentRelation.MOTHER, now=NOW
            )
            is None
        )
        issued = await invite_parent(
            session, caregiver_id=grandma.id, child_id=child_id, relation=ParentRelation.MOTHER, now=NOW
        )
    assert isinstance(issued, ParentInviteIssued) and issued.expires_at == NOW + timedelta(days=7)
    async with db.session() as session:
        assert isinstance(
            (await onboarding.start(session, await session.get(Person, mum.id), issued.code))[0], s.AskLanguage
        )
    await step(db, onboarding, mum, "lang", "zh_Hans")
    linked = await step(db, onboarding, mum, "consent", "yes")
    assert linked[0] == s.ParentLinked("小明", ParentRelation.MOTHER)
    async with db.session() as session:
        links = (await session.scalars(select(ParentLink))).all()
        notices = (await session.scalars(select(OutboxMessage))).all()
        again = await invite_parent(
            session, caregiver_id=grandma.id, child_id=child_id, relation=ParentRelation.MOTHER, now=NOW
        )
    assert [(link.person_id, link.relation) for link in links] == [(mum.id, ParentRelation.MOTHER)]
    assert [(n.person_id, n.kind) for n in notices] == [(grandma.id, "parent_joined")]
    assert isinstance(again, ParentAlreadyLinked)
    # The one-time code does not open a second time.
    async with db.session() as session:
        assert await onboarding.start(session, await session.get(Person, stranger.id), issued.code) == [
            s.CodeRejected()
        ]


async def test_an_interrupted_onboarding_resumes_where_it_stopped(db, onboarding) -> None:
    _school_id, code = await new_school(db)
    person = await new_person(db, 13)
    async with db.session() as session:
        await onboarding.start(session, await session.get(Person, person.id), code)
    await step(db, onboarding, person, "lang", "zh_Hans")
    await step(db, onboarding, person, "consent", "yes")
    await step(db, onboarding, person, "rel", "grandmother")
    await step(db, onboarding, person, None, "小明")
    async with db.session() as session:
        resumed = await onboarding.start(session, await session.get(Person, person.id), None)
    assert isinstance(resumed[0], s.AskBirthYear)
    assert await count(db, CaregiverLink) == 0
