"""End-to-end fixtures: the real Application, polling a local Bot API emulator, on the database under test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.content.bundle import load_content
from bot.db import Database, utcnow
from bot.invites import service as invites
from bot.invites.models import InviteKind
from bot.schools import service as schools
from bot.telegram.app import build_application, running
from bot.telegram.inbox import InboxApplication
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


class MovableClock:
    """The bot's "now": real time until a test moves it, e.g. to the evening a check-in falls due."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def move_to(self, moment: datetime) -> None:
        self.offset = moment - utcnow()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@asynccontextmanager
async def bot_running(db: Database, database_url: str, emulator: BotApiEmulator, clock: MovableClock):
    application = build_application(bot_settings(database_url, emulator), db, CONTENT, clock)
    async with running(application, polling=True):
        yield application


@pytest.fixture
async def bot(db: Database, database_url: str, emulator: BotApiEmulator, clock) -> AsyncIterator[InboxApplication]:
    async with bot_running(db, database_url, emulator, clock) as application:
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
                session, name=name, region=region, timezone="Asia/Shanghai", hotline_region="cn", content=CONTENT.pack
            )
            self.id = school.id
        return self

    async def counsellor_code(self) -> str:
        async with self.db.session() as session:
            return (await invites.issue(session, InviteKind.COUNSELLOR, school_id=self.id)).code


@pytest.fixture
async def school(db: Database) -> School:
    return await School(db).create()
