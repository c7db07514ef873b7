"""`python -m bot counsellor remove`: the counsellor's open cases return to Unassigned and the others are told.

Synchronous, like tests/integration/test_cli.py, because each command runs its own `asyncio.run`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from bot.cases.flags import Evidence, raise_flag
from bot.cases.models import Case, CaseEvent, CaseStatus, CaseTimer, EventKind, FlagSource, FollowUp, FollowUpStatus
from bot.cases.severity import Level
from bot.cli import app
from bot.config import PROJECT_ROOT, get_settings
from bot.db import Database
from bot.families.models import Child
from bot.outbox.models import OutboxMessage
from bot.people.models import Person
from bot.schools.models import SchoolCounsellor
from tests import factories
from tests.clock import FixedClock

T = TypeVar("T")
NOW = datetime(2026, 11, 25, 4, tzinfo=UTC)


@pytest.fixture
def cli(db: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable]:
    monkeypatch.chdir(tmp_path)  # a developer's own .env must not leak in
    env = {"DATABASE_URL": database_url, "SHOUHU_CONTENT_DIR": str(PROJECT_ROOT / "content"), "TELEGRAM_BOT_TOKEN": ""}

    def invoke(*args: str) -> Result:
        get_settings.cache_clear()
        return CliRunner().invoke(app, list(args), env=env)

    yield invoke
    get_settings.cache_clear()


def run(database_url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        database = Database(database_url, clock=FixedClock())
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())


async def setup(db: Database) -> dict[str, int]:
    """School 1 with counsellors 900, 901, 902; 900 has an open case, a closed one and a follow-up."""
    school = await factories.school(db, "青山小学", counsellors=(900, 901, 902), now=NOW)
    family = await factories.family(db, school, 100, ("小明", "小红"), now=NOW)
    async with db.session() as session:
        leaving = await session.scalar(select(Person.id).where(Person.telegram_user_id == 900))
        ids = {"school": school, "leaving": leaving}
        for name, child_id in zip(("open", "closed"), family.child_ids, strict=True):
            child = await session.get(Child, child_id)
            raised = await raise_flag(
                session,
                child=child,
                level=Level.URGENT,
                source=FlagSource.WORRIED,
                evidence=Evidence(),
                raised_by_id=None,
                now=NOW,
            )
            case = raised.case
            case.status, case.assigned_to_id, case.taken_at = CaseStatus.TAKEN, leaving, NOW
            ids[name] = case.id
        case.status = CaseStatus.CLOSED
        session.add(FollowUp(case_id=ids["open"], counsellor_id=leaving, due_at=NOW + timedelta(days=1)))
    return ids


def test_removing_a_counsellor_returns_their_open_cases_and_tells_the_others(cli, database_url) -> None:
    ids = run(database_url, setup)

    result = cli("counsellor", "remove", "--school", str(ids["school"]), "--telegram-id", "900", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "school_id": ids["school"],
        "telegram_id": 900,
        "returned_cases": [ids["open"]],
        "cancelled_follow_ups": 1,
        "told": 2,
        "cancelled_messages": 2,
    }

    async def state(db: Database) -> dict:
        async with db.session() as session:
            case = await session.get(Case, ids["open"])
            closed = await session.get(Case, ids["closed"])
            live_timers = await session.scalars(
                select(CaseTimer).where(
                    CaseTimer.case_id == case.id, CaseTimer.fired_at.is_(None), CaseTimer.cancelled_at.is_(None)
                )
            )
            returned = await session.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.RETURNED))
            told = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "cases_returned"))
            tele = await session.scalars(
                select(Person.telegram_user_id)
                .join(OutboxMessage, OutboxMessage.person_id == Person.id)
                .where(OutboxMessage.kind == "cases_returned")
            )
            return {
                "case": (case.status, case.assigned_to_id),
                "closed": (closed.status, closed.assigned_to_id),
                "timers": len(live_timers.all()),
                "returned": [(e.case_id, e.details["reason"]) for e in returned],
                "params": [m.params for m in told],
                "told": sorted(tele.all()),
                "link": await session.scalar(
                    select(SchoolCounsellor.id).where(SchoolCounsellor.person_id == ids["leaving"])
                ),
                "follow_up": (await session.scalar(select(FollowUp))).status,
            }

    after = run(database_url, state)
    assert after["case"] == (CaseStatus.NEW, None)
    assert after["closed"] == (CaseStatus.CLOSED, ids["leaving"])  # closed cases keep who handled them
    assert after["timers"] == 2  # a fresh time limit to take it again
    assert after["returned"] == [(ids["open"], "counsellor_removed")]
    assert after["told"] == [901, 902]
    assert after["params"][0] == {"school": "青山小学", "count": 1, "case_ids": [ids["open"]], "why": "removed"}
    assert after["link"] is None and after["follow_up"] is FollowUpStatus.CANCELLED

    again = cli("counsellor", "remove", "--school", str(ids["school"]), "--telegram-id", "900")
    assert again.exit_code == 1
    assert "is not a counsellor of school" in again.stderr and "Traceback" not in again.output


def test_removing_refuses_an_unknown_school_or_person(cli, database_url) -> None:
    ids = run(database_url, setup)

    unknown_school = cli("counsellor", "remove", "--school", "999", "--telegram-id", "900")
    assert unknown_school.exit_code == 1 and "no school with id 999" in unknown_school.stderr
    unknown_person = cli("counsellor", "remove", "--school", str(ids["school"]), "--telegram-id", "12345")
    assert unknown_person.exit_code == 1 and "nobody with Telegram id 12345" in unknown_person.stderr

    text = cli("counsellor", "remove", "--school", str(ids["school"]), "--telegram-id", "901")
    assert text.exit_code == 0, text.output
    assert "No open cases were assigned to them." in text.stdout
