"""Deleting a person's data on request: what they shared goes, a child left with nobody goes, others stay."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cases.flags import Evidence, raise_flag
from bot.cases.models import Case, CaseEvent, CaseStatus, EventKind, Flag, FlagSource, Referral, ReferralKind
from bot.cases.severity import Level
from bot.cases.timeline import add_event
from bot.checkins.models import Checkin
from bot.cli import app
from bot.families import service as families
from bot.families.models import CaregiverLink, CaregiverRelation, Child, Household, ParentRelation
from bot.people.forget import forget
from bot.people.models import Person
from tests import factories

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


async def count(db, model) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def open_case(db, child_id: int, note: str) -> int:
    async with db.session() as session:
        raised = await raise_flag(
            session,
            child=await session.get(Child, child_id),
            level=Level.HIGH,
            source=FlagSource.MESSAGE,
            evidence=Evidence(reasons=("free_text_concern",), note=note),
            raised_by_id=None,
            now=NOW,
        )
        return raised.case.id


async def test_forgetting_a_caregiver_deletes_what_only_they_held(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    grandma = await factories.family(db, school, 100, ("只有奶奶", "也有爷爷"), now=NOW)
    only_hers, shared = grandma.child_ids
    grandpa_id = await factories.person(db, 101)
    async with db.session() as session:
        session.add(CaregiverLink(person_id=grandpa_id, child_id=shared, relation=CaregiverRelation.GRANDFATHER))
    await open_case(db, only_hers, "奶奶说的话")
    kept_case = await open_case(db, shared, "爷爷也知道")

    async with db.session() as session:
        forgotten = await forget(session, 100, NOW)
    assert (forgotten.children_deleted, forgotten.cases_returned) == (1, 0)
    async with db.session() as session:
        assert await session.scalar(select(Person).where(Person.telegram_user_id == 100)) is None
        assert [c.id for c in (await session.scalars(select(Child))).all()] == [shared]
        assert [c.id for c in (await session.scalars(select(Case))).all()] == [kept_case]
    assert await count(db, Flag) == 1
    assert await count(db, Checkin) == 0, "her planned check-ins went with her; grandpa has none planned here"
    assert await count(db, Household) == 1


async def test_forgetting_a_counsellor_returns_their_cases(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10, 11), now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    case_id = await open_case(db, family.child_ids[0], "x")
    async with db.session() as session:
        case = await session.get(Case, case_id)
        counsellor = await session.scalar(select(Person).where(Person.telegram_user_id == 10))
        case.assigned_to_id, case.status = counsellor.id, CaseStatus.TAKEN
    async with db.session() as session:
        forgotten = await forget(session, 10, NOW)
        assert await forget(session, 999, NOW) is None
    assert forgotten.cases_returned == 1
    async with db.session() as session:
        case = await session.get(Case, case_id)
    assert (case.status, case.assigned_to_id) == (CaseStatus.NEW, None)


def test_the_cli_asks_for_confirmation_before_deleting() -> None:
    result = CliRunner().invoke(app, ["data", "forget", "--telegram-id", "100"])
    assert result.exit_code == 1 and "--yes" in result.output


async def test_a_parent_link_keeps_a_child_when_the_only_caregiver_goes(db) -> None:
    school = await factories.school(db, "青山小学", now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    mum = await factories.person(db, 200)
    async with db.session() as session:
        await families.link_parent(
            session, person_id=mum, child_id=family.child_ids[0], relation=ParentRelation.MOTHER, now=NOW
        )
        await forget(session, 100, NOW)
    assert await count(db, Child) == 1


async def test_forgetting_a_counsellor_clears_their_notes_but_keeps_the_timeline(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    case_id = await open_case(db, family.child_ids[0], "x")
    async with db.session() as session:
        case = await session.get(Case, case_id)
        counsellor = await session.scalar(select(Person.id).where(Person.telegram_user_id == 10))
        add_event(session, case, EventKind.NOTE, actor_id=counsellor, now=NOW, text="老师的记录")
        session.add(
            Referral(case_id=case_id, kind=ReferralKind.VILLAGE_DOCTOR, note="转给村医", created_by_id=counsellor)
        )

    async with db.session() as session:
        forgotten = await forget(session, 10, NOW)
    assert forgotten.words_cleared == 2
    async with db.session() as session:
        note = await session.scalar(select(CaseEvent).where(CaseEvent.kind == EventKind.NOTE))
        referral = await session.scalar(select(Referral))
    assert (note.actor_id, note.text) == (None, None), "the event stays on the timeline, without the words"
    assert referral.note is None and referral.kind is ReferralKind.VILLAGE_DOCTOR
