"""The admin CLI against a real, migrated database: codes it prints really open what they say, refusals change nothing,
and privacy through a person's lifecycle (removal, unlink, revoked invites, export, forgetting) is audited.

Tests are synchronous because each command runs its own `asyncio.run`; the `db` fixture only empties PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner, Result

from bot import cli as cli_module
from bot.audit.models import AuditEvent
from bot.cases.flags import Evidence, raise_flag
from bot.cases.models import Flag, FlagSource
from bot.cases.severity import Level
from bot.cli import app, fetch_bot_username
from bot.config import PROJECT_ROOT, Settings, get_settings
from bot.contact.models import CallPlan
from bot.db import Database
from bot.families import service as families
from bot.families.models import CaregiverLink, CaregiverRelation, Child, ParentLink, ParentRelation
from bot.invites import service as invites
from bot.invites.models import Invite, InviteKind
from bot.outbox.enqueue import enqueue
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.people.models import Person
from bot.schools.models import RegionSupervisor
from tests import factories
from tests.clock import WEDNESDAY_NOON, FixedClock
from tests.emulator import BotApiEmulator

T = TypeVar("T")
NOW = WEDNESDAY_NOON
BOT_USERNAME = "shouhu_test_bot"


@pytest.fixture
def cli(
    db: Database, database_url: str, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable]:
    """Invoke the CLI with a clean environment: no token, a known bot username, the test database and clock."""
    monkeypatch.chdir(tmp_path)  # a developer's own .env must not leak in
    monkeypatch.setattr(cli_module, "clock", clock)
    env = {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
        "TELEGRAM_BOT_TOKEN": "",
        "SHOUHU_TIMEZONE": "Asia/Shanghai",
        "SHOUHU_CONTENT_DIR": str(PROJECT_ROOT / "content"),
    }
    get_settings.cache_clear()

    def invoke(*args: str, **overrides: str) -> Result:
        get_settings.cache_clear()
        return CliRunner().invoke(app, list(args), env={**env, **overrides})

    yield invoke
    get_settings.cache_clear()


def query(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        database = Database(database_url, clock=FixedClock())
        try:
            async with database.session() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(main())


def arrange(database_url: str, build: Callable[[Database], Awaitable[T]]) -> T:
    """Set up data through the domain services, from a synchronous test."""

    async def main() -> T:
        database = Database(database_url, clock=FixedClock())
        try:
            return await build(database)
        finally:
            await database.dispose()

    return asyncio.run(main())


def count_invites(database_url: str) -> int:
    return query(database_url, lambda s: s.scalar(select(func.count()).select_from(Invite)))


def add_school(cli: Callable, name: str = "青山小学", region: str = "云阳县") -> dict[str, Any]:
    result = cli("school", "add", "--name", name, "--region", region, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_school_add_prints_a_join_code_and_link_that_open_the_school(cli, database_url):
    school = add_school(cli)

    assert school["link"] == f"https://t.me/{BOT_USERNAME}?start={school['code']}"
    invite = query(database_url, lambda s: invites.find_valid(s, school["code"], WEDNESDAY_NOON))
    assert invite is not None
    assert (invite.kind, invite.school_id) == (InviteKind.SCHOOL_JOIN, school["id"])


def test_school_add_in_text_shows_id_code_and_link(cli):
    result = cli("school", "add", "--name", "青山小学", "--region", "云阳县")

    assert result.exit_code == 0, result.output
    assert "Added school" in result.stdout
    assert f"https://t.me/{BOT_USERNAME}?start=" in result.stdout


def test_school_list_shows_the_added_school(cli):
    school = add_school(cli)

    result = cli("school", "list", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "id": school["id"],
            "name": "青山小学",
            "region": "云阳县",
            "timezone": "Asia/Shanghai",
            "hotline_region": "cn",
            "counsellors": 0,
            "children": 0,
        }
    ]
    assert "青山小学" in cli("school", "list").stdout


def test_new_join_code_makes_the_old_one_stop_working(cli, database_url):
    school = add_school(cli)

    result = cli("school", "join-code", "--school", str(school["id"]), "--json")

    assert result.exit_code == 0, result.output
    new_code = json.loads(result.stdout)["code"]
    assert query(database_url, lambda s: invites.find_valid(s, school["code"], WEDNESDAY_NOON)) is None
    assert query(database_url, lambda s: invites.find_valid(s, new_code, WEDNESDAY_NOON)).school_id == school["id"]


def test_duplicate_school_name_in_the_same_region_is_refused(cli):
    add_school(cli)

    result = cli("school", "add", "--name", "青山小学", "--region", "云阳县")

    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert len(json.loads(cli("school", "list", "--json").stdout)) == 1


def test_unknown_time_zone_option_is_refused_and_adds_nothing(cli, database_url):
    result = cli("school", "add", "--name", "青山小学", "--region", "云阳县", "--timezone", "Mars/Olympus")

    assert result.exit_code == 1
    assert "unknown time zone" in result.stderr
    assert count_invites(database_url) == 0


def test_counsellor_invite_expires_in_seven_days_and_opens_the_school(cli, database_url):
    school = add_school(cli)

    result = cli("invite", "counsellor", "--school", str(school["id"]), "--json")

    assert result.exit_code == 0, result.output
    invite = json.loads(result.stdout)
    assert invite["link"] == f"https://t.me/{BOT_USERNAME}?start={invite['code']}"
    assert datetime.fromisoformat(invite["expires_at"]) == WEDNESDAY_NOON + timedelta(days=7)
    stored = query(database_url, lambda s: invites.find_valid(s, invite["code"], WEDNESDAY_NOON))
    assert (stored.kind, stored.school_id, stored.max_uses) == (InviteKind.COUNSELLOR, school["id"], 1)


def test_counsellor_invite_for_an_unknown_school_is_refused_and_creates_nothing(cli, database_url):
    result = cli("invite", "counsellor", "--school", "999")

    assert result.exit_code == 1
    assert "no school with id 999" in result.stderr
    assert "Traceback" not in result.output
    assert count_invites(database_url) == 0


def test_supervisor_invite_needs_a_school_in_the_region(cli, database_url):
    result = cli("invite", "supervisor", "--region", "云阳县")

    assert result.exit_code == 1
    assert "no school in region" in result.stderr
    assert count_invites(database_url) == 0


def test_supervisor_invite_for_a_region_with_a_school(cli, database_url):
    add_school(cli)

    result = cli("invite", "supervisor", "--region", "云阳县", "--json")

    assert result.exit_code == 0, result.output
    stored = query(database_url, lambda s: invites.find_valid(s, json.loads(result.stdout)["code"], WEDNESDAY_NOON))
    assert (stored.kind, stored.region) == (InviteKind.SUPERVISOR, "云阳县")


def test_without_username_or_token_the_code_is_printed_and_the_link_explained(cli):
    result = cli("school", "add", "--name", "青山小学", "--region", "云阳县", "--json", TELEGRAM_BOT_USERNAME="")

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["code"] and printed["link"] is None
    assert "TELEGRAM_BOT_USERNAME" in result.stderr


def test_run_without_a_token_explains_botfather_and_exits_2(cli):
    result = cli("run")

    assert result.exit_code == 2
    assert "@BotFather" in result.stderr and "/newbot" in result.stderr and "TELEGRAM_BOT_TOKEN=" in result.stderr
    assert "Traceback" not in result.output


def test_run_with_a_broken_content_pack_names_the_file_and_exits_2(cli, tmp_path):
    result = cli("run", TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN", SHOUHU_CONTENT_DIR=str(tmp_path))

    assert result.exit_code == 2
    assert "hotlines.yaml" in result.stderr
    assert "Traceback" not in result.output


def test_run_without_encryption_keys_refuses_unless_in_development(cli, tmp_path):
    token = "123456:TEST-TOKEN"
    refused = cli("run", TELEGRAM_BOT_TOKEN=token, SHOUHU_ENCRYPTION_KEYS="")

    assert refused.exit_code == 2
    assert "keys generate" in refused.stderr and "SHOUHU_DEVELOPMENT=true" in refused.stderr
    assert "Traceback" not in refused.output
    # With the flag, start-up goes past the keys (and stops at the next check: here a broken content pack).
    development = cli(
        "run",
        TELEGRAM_BOT_TOKEN=token,
        SHOUHU_ENCRYPTION_KEYS="",
        SHOUHU_DEVELOPMENT="true",
        SHOUHU_CONTENT_DIR=str(tmp_path),
    )
    assert development.exit_code == 2
    assert "hotlines.yaml" in development.stderr and "SHOUHU_DEVELOPMENT" not in development.stderr


def test_a_bad_time_zone_setting_exits_2_with_a_clear_message(cli):
    result = cli("school", "list", SHOUHU_TIMEZONE="Mars/Olympus")

    assert result.exit_code == 2
    assert "SHOUHU_TIMEZONE" in result.stderr
    assert "Traceback" not in result.output


def test_db_upgrade_migrates_a_fresh_database(cli, tmp_path):
    fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    # It encrypts stored rows, so like `run` it wants the real keys or an explicit development flag.
    refused = cli("db", "upgrade", DATABASE_URL=fresh, SHOUHU_ENCRYPTION_KEYS="")
    assert refused.exit_code == 2 and "SHOUHU_DEVELOPMENT=true" in refused.stderr

    assert cli("db", "upgrade", DATABASE_URL=fresh).exit_code == 0
    assert cli("school", "list", "--json", DATABASE_URL=fresh).stdout.strip() == "[]"


def test_plain_alembic_upgrade_creates_the_missing_data_folder(tmp_path):
    # What a deployer may type instead of `db upgrade`; a fresh clone has no data/ folder.
    database = tmp_path / "data" / "shouhu.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{database}", "SHOUHU_DEVELOPMENT": "true"}

    done = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    assert database.exists()


async def test_bot_username_is_asked_of_telegram_when_not_configured():
    emulator = BotApiEmulator(token="123456:TEST-TOKEN", bot_username="asked_bot")
    await emulator.start()
    try:
        settings = Settings(_env_file=None, TELEGRAM_BOT_TOKEN=emulator.token, TELEGRAM_API_BASE_URL=emulator.base_url)
        assert await fetch_bot_username(settings) == "asked_bot"
        wrong_token = settings.model_copy(update={"telegram_bot_token": "654321:WRONG"})
        assert await fetch_bot_username(wrong_token) is None
    finally:
        await emulator.stop()


# --- privacy through a person's lifecycle ------------------------------------------------------------------------


def count(database_url: str, model: type) -> int:
    return query(database_url, lambda s: s.scalar(select(func.count()).select_from(model)))


def statuses(database_url: str, telegram_id: int) -> list[str]:
    async def work(session: AsyncSession) -> list[str]:
        rows = await session.scalars(
            select(OutboxMessage.status)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(Person.telegram_user_id == telegram_id)
            .order_by(OutboxMessage.id)
        )
        return [status.value for status in rows.all()]

    return query(database_url, work)


def actions(database_url: str) -> list[str]:
    return query(database_url, lambda s: s.scalars(select(AuditEvent.action).order_by(AuditEvent.id))).all()


def grandma_and_a_flag(
    database_url: str, note: str | None = None, voice: str | None = None
) -> tuple[int, factories.Family]:
    """A school with counsellors 10 and 11, grandma 100 with 小明, and a flag she raised (an alert to each)."""

    async def build(db: Database) -> tuple[int, factories.Family]:
        school = await factories.school(db, "青山小学", counsellors=(10, 11), now=NOW)
        family = await factories.family(db, school, 100, now=NOW)
        async with db.session() as session:
            await raise_flag(
                session,
                child=await session.get(Child, family.child_ids[0]),
                level=Level.HIGH,
                source=FlagSource.MESSAGE,
                evidence=Evidence(reasons=("free_text_concern",), note=note, voice_file_id=voice),
                raised_by_id=family.caregiver_id,
                now=NOW,
            )
        return school, family

    return arrange(database_url, build)


def test_counsellor_remove_cancels_the_alerts_still_waiting_for_them(cli, database_url):
    school, _family = grandma_and_a_flag(database_url)

    result = cli("counsellor", "remove", "--school", str(school), "--telegram-id", "10", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cancelled_messages"] == 1
    assert statuses(database_url, 10) == ["cancelled"]
    assert statuses(database_url, 11) == ["pending"], "the other counsellor still gets the alert"


def test_supervisor_remove_takes_them_off_the_region_and_refuses_strangers(cli, database_url):
    async def build(db: Database) -> None:
        await factories.school(db, "青山小学", now=NOW)
        await factories.supervisor(db, 20, "云阳县", now=NOW)

    arrange(database_url, build)
    for args, why in (
        (("--region", "云阳县", "--telegram-id", "999"), "nobody with Telegram id 999"),
        (("--region", "别的县", "--telegram-id", "20"), "not a supervisor of region"),
    ):
        refused = cli("supervisor", "remove", *args)
        assert refused.exit_code == 1 and why in refused.stderr and "Traceback" not in refused.output
    assert count(database_url, RegionSupervisor) == 1

    result = cli("supervisor", "remove", "--region", " 云阳县 ", "--telegram-id", "20", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"region": "云阳县", "telegram_id": 20, "cancelled_messages": 0}
    assert count(database_url, RegionSupervisor) == 0
    assert "region.supervisor_removed" in actions(database_url)


def test_parent_unlink_stops_their_calls_and_messages_about_the_child(cli, database_url):
    async def build(db: Database) -> int:
        school = await factories.school(db, "青山小学", now=NOW)
        child_id = (await factories.family(db, school, 100, now=NOW)).child_ids[0]
        mum = await factories.person(db, 200)
        async with db.session() as session:
            await families.link_parent(
                session, person_id=mum, child_id=child_id, relation=ParentRelation.MOTHER, now=NOW
            )
            session.add(
                CallPlan(parent_id=mum, child_id=child_id, weekday=5, minute_of_day=720, timezone="Asia/Shanghai")
            )
            await enqueue(session, mum, "contact_nudge", {"nickname": "小明", "child_id": child_id, "days": 14})
        return child_id

    child_id = arrange(database_url, build)
    for args, why in (
        (("--telegram-id", "100"), "is not a linked parent of any child"),
        (("--telegram-id", "200", "--child", "999"), "is not a linked parent of child 999"),
    ):
        refused = cli("parent", "unlink", *args)
        assert refused.exit_code == 1 and why in refused.stderr
    assert count(database_url, ParentLink) == 1

    result = cli("parent", "unlink", "--telegram-id", "200", "--json")

    assert result.exit_code == 0, result.output
    unlinked = json.loads(result.stdout)
    assert (unlinked["child_id"], unlinked["relation"], unlinked["plans_removed"]) == (child_id, "mother", 1)
    assert unlinked["cancelled_messages"] == 1
    assert (count(database_url, ParentLink), count(database_url, CallPlan)) == (0, 0)
    assert statuses(database_url, 200) == ["cancelled"]
    assert "parent.unlinked" in actions(database_url)


def test_invite_revoke_stops_a_one_time_code_and_refuses_anything_else(cli, database_url):
    async def build(db: Database) -> tuple[str, str]:
        school = await factories.school(db, "青山小学", now=NOW)
        async with db.session() as session:
            issued = await invites.issue(session, InviteKind.COUNSELLOR, school_id=school, now=NOW)
            join = await invites.issue(session, InviteKind.SCHOOL_JOIN, school_id=school, now=NOW)
        return issued.code, join.code

    code, join_code = arrange(database_url, build)
    for refused_code, why in (("NOTACODE", "no invite has this code"), (join_code, "school join-code")):
        refused = cli("invite", "revoke", "--code", refused_code)
        assert refused.exit_code == 1 and why in refused.stderr
    assert query(database_url, lambda s: invites.find_valid(s, join_code, NOW)) is not None

    result = cli("invite", "revoke", "--code", f"https://t.me/{BOT_USERNAME}?start={code}", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kind"] == "counsellor"
    assert query(database_url, lambda s: invites.find_valid(s, code, NOW)) is None
    again = cli("invite", "revoke", "--code", code)
    assert again.exit_code == 1 and "no longer works" in again.stderr
    assert actions(database_url).count("invite.revoked") == 1


def test_data_export_gives_a_person_everything_stored_about_them_decrypted(cli, database_url):
    _school, family = grandma_and_a_flag(database_url, note="奶奶说孩子不吃饭")

    result = cli("data", "export", "--telegram-id", "100")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["person"]["telegram_user_id"] == 100
    assert [child["nickname"] for child in data["children"]] == ["小明"]
    assert [(flag["note"], flag["reasons"]) for flag in data["flags"]] == [("奶奶说孩子不吃饭", ["free_text_concern"])]
    assert data["checkins"] and all(checkin["caregiver_id"] == family.caregiver_id for checkin in data["checkins"])
    assert "person.exported" in actions(database_url)
    unknown = cli("data", "export", "--telegram-id", "999")
    assert unknown.exit_code == 1 and "nobody with Telegram id 999" in unknown.stderr


def test_data_forget_clears_her_words_drops_what_carries_them_and_pseudonymises_the_audit_log(cli, database_url):
    _school, family = grandma_and_a_flag(database_url, note="奶奶的原话", voice="voice-file-1")
    child_id, her_id = family.child_ids[0], family.caregiver_id

    async def build(db: Database) -> int:
        grandpa = await factories.person(db, 101)
        async with db.session() as session:
            session.add(CaregiverLink(person_id=grandpa, child_id=child_id, relation=CaregiverRelation.GRANDFATHER))
            await invites.issue(
                session,
                InviteKind.PARENT,
                child_id=child_id,
                relation=ParentRelation.MOTHER,
                created_by_id=her_id,
                now=NOW,
            )
            # A message she relayed, still waiting to be copied from her chat to grandpa.
            await enqueue(session, grandpa, "relay_copy", {"from_chat_id": 100, "message_id": 7})
        return grandpa

    grandpa = arrange(database_url, build)

    result = cli("data", "forget", "--telegram-id", "100", "--yes", "--json")

    assert result.exit_code == 0, result.output
    forgotten = json.loads(result.stdout)
    assert (forgotten["children_deleted"], forgotten["invites_deleted"]) == (0, 1)

    async def after(session: AsyncSession) -> tuple:
        flag = await session.scalar(select(Flag))
        alerts = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "case_alert"))).all()
        kinds = (await session.scalars(select(OutboxMessage.kind).where(OutboxMessage.person_id == grandpa))).all()
        return flag, alerts, kinds, (await session.scalars(select(AuditEvent))).all()

    flag, alerts, grandpas, audit = query(database_url, after)
    assert (flag.note, flag.voice_file_id, flag.reasons) == (None, None, ["free_text_concern"])
    assert alerts and all(a.status is OutboxStatus.PENDING and a.private_params is None for a in alerts), (
        "the counsellors still hear of the child, without her words"
    )
    assert "relay_copy" not in grandpas
    assert query(database_url, lambda s: s.scalars(select(Invite.kind))).all() == [InviteKind.SCHOOL_JOIN]
    assert not [e for e in audit if e.actor_person_id == her_id or (e.subject_type, e.subject_id) == ("person", her_id)]
    forgetting = next(e for e in audit if e.action == "person.forgotten")
    hers = [e for e in audit if e.action == "child.added" or e.details.get("kind") == "parent"]
    pseudonyms = {e.details.get("actor") for e in hers}
    assert pseudonyms == {forgetting.details["subject"]} and forgetting.details["subject"].startswith("forgotten-")
