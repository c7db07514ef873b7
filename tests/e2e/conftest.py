"""End-to-end fixtures: the real Application, polling a local Bot API emulator, on the database under test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.content.bundle import load_content
from bot.db import Database
from bot.invites import service as invites
from bot.invites.models import InviteKind
from bot.schools import service as schools
from bot.telegram.app import build_application, running
from bot.telegram.inbox import InboxApplication
from tests.clock import WEDNESDAY_NOON, RunningClock
from tests.emulator import BotApiEmulator

TOKEN = "123456:TEST-TOKEN"
BOT_USERNAME = "shouhu_test_bot"
CONTENT = load_content(PROJECT_ROOT / "content")


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    emu = BotApiEmulator(token=TOKEN, bot_username=BOT_USERNAME)
    await emu.start()
    yield emu
    await emu.stop()


def bot_settings(database_url: str, emulator: BotApiEmulator, **overrides: str) -> Settings:
    return Settings(
        _env_file=None,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=emulator.base_url,
        DATABASE_URL=database_url,
        SHOUHU_SENDER_INTERVAL="0.2",
        SHOUHU_DUE_INTERVAL="0.2",
        **overrides,
    )


@pytest.fixture
def clock() -> RunningClock:
    """The running bot's "now", and its database's: from the test's fixed moment on, as time passes."""
    return RunningClock(WEDNESDAY_NOON)


@asynccontextmanager
async def bot_running(db: Database, database_url: str, emulator: BotApiEmulator):
    application = build_application(bot_settings(database_url, emulator), db, CONTENT)
    async with running(application, polling=True):
        yield application


@pytest.fixture
async def bot(db: Database, database_url: str, emulator: BotApiEmulator) -> AsyncIterator[InboxApplication]:
    async with bot_running(db, database_url, emulator) as application:
        yield application


class School:
    """A school set up the way an administrator would with the CLI."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.id = 0
        self.join_code = ""

    async def create(self, name: str = "青山小学", region: str = "云阳县") -> School:
        async with self.db.session() as session:
            school, self.join_code = await schools.add_school(
                session,
                name=name,
                region=region,
                timezone="Asia/Shanghai",
                hotline_region="cn",
                content=CONTENT.pack,
                now=self.db.clock(),
            )
            self.id = school.id
        return self

    async def counsellor_code(self) -> str:
        async with self.db.session() as session:
            return (await invites.issue(session, InviteKind.COUNSELLOR, school_id=self.id, now=self.db.clock())).code


@pytest.fixture
async def school(db: Database) -> School:
    return await School(db).create()
