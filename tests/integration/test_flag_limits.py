"""The per-person limit on flags and 🆘 presses: past it, a flag joins the case as evidence without alerting
anyone again, the person is told kindly, and nothing that is news (a new case, a higher severity) is held back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.cases.alerts import UPDATES
from bot.cases.flags import ALERTS_PER_PERSON, Evidence, raise_flag
from bot.cases.models import Flag, FlagSource
from bot.cases.severity import Level
from bot.checkins import screens as cs
from bot.families.models import Child
from bot.outbox.models import OutboxMessage
from bot.people.models import Person
from bot.safety.worries import Worries
from tests import factories
from tests.clock import WEDNESDAY_NOON

NOW = WEDNESDAY_NOON


async def alerts(db) -> int:
    """Reports the counsellors are told of: each queued alert, and each report it was updated with since."""
    async with db.session() as session:
        queued = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "case_alert"))).all()
    return sum(1 + alert.params.get(UPDATES, 0) for alert in queued)


async def flag(db, child_id: int, person_id: int, level: Level, at: datetime):
    async with db.session() as session:
        return await raise_flag(
            session,
            child=await session.get(Child, child_id),
            level=level,
            source=FlagSource.WORRIED,
            evidence=Evidence(reasons=("worried_other",), note="又担心了"),
            raised_by_id=person_id,
            now=at,
        )


async def test_past_the_limit_flags_join_the_case_quietly_but_a_rise_still_alerts(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10, 11), now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    child, grandma = family.child_ids[0], family.caregiver_id

    raised = [
        await flag(db, child, grandma, Level.HIGH, NOW + timedelta(minutes=i)) for i in range(ALERTS_PER_PERSON + 2)
    ]

    assert [r.held_back for r in raised] == [False] * ALERTS_PER_PERSON + [True, True]
    assert await alerts(db) == 2 * ALERTS_PER_PERSON, "two counsellors, alerted for the first flags only"
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Flag)) == ALERTS_PER_PERSON + 2
    # Urgent is news: it raises the case and reaches everyone, however many flags came before.
    urgent = await flag(db, child, grandma, Level.URGENT, NOW + timedelta(minutes=10))
    assert not urgent.held_back and await alerts(db) == 2 * ALERTS_PER_PERSON + 2
    # Someone else on the same case has their own allowance, and an hour later hers starts again.
    grandpa = await factories.person(db, 101)
    assert not (await flag(db, child, grandpa, Level.URGENT, NOW + timedelta(minutes=11))).held_back
    assert not (await flag(db, child, grandma, Level.URGENT, NOW + timedelta(minutes=75))).held_back


async def test_a_press_past_the_limit_still_gets_the_safety_reply_and_a_kind_word(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    worries = Worries(factories.CONTENT.pack, factories.CONTENT.checkins, factories.CONTENT.scanner, clock=lambda: NOW)

    presses = []
    for _ in range(ALERTS_PER_PERSON + 1):
        async with db.session() as session:
            person = await session.get(Person, family.caregiver_id)
            presses.append(await worries.worry(session, person, family.child_ids[0], "dying"))

    assert all(isinstance(screens[0], cs.SafetyAdvice) for screens in presses)
    assert [cs.FlagHeldBack("小明") in screens for screens in presses] == [False] * ALERTS_PER_PERSON + [True]
