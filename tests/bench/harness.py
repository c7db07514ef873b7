"""What the benchmarks share: a migrated database, the Bot API emulator, and the real bot running against both."""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot import crypto
from bot.config import Settings
from bot.db import Database
from bot.db.migrations import upgrade_async
from bot.telegram.app import build_application, running
from bot.telegram.inbox import InboxApplication
from tests.clock import WEDNESDAY_NOON, RunningClock
from tests.emulator import BotApiEmulator
from tests.factories import CONTENT

TOKEN = "123456:BENCH-TOKEN"


@asynccontextmanager
async def database(url: str | None) -> AsyncIterator[tuple[Database, str]]:
    """The given database, migrated; without one, a fresh SQLite file that is deleted afterwards."""
    with tempfile.TemporaryDirectory() as scratch:
        url = url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        await upgrade_async(url)
        # Wednesday noon: the figures never depend on quiet hours or the day the bench runs.
        db = Database(url, clock=RunningClock(WEDNESDAY_NOON))
        try:
            yield db, url
        finally:
            await db.dispose()


@asynccontextmanager
async def emulator(round_trip: float) -> AsyncIterator[BotApiEmulator]:
    emu = BotApiEmulator(token=TOKEN, bot_username="shouhu_bench_bot")
    emu.round_trip = round_trip
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


@asynccontextmanager
async def bot(db: Database, url: str, emu: BotApiEmulator, **settings: str) -> AsyncIterator[InboxApplication]:
    # The environment's key when there is one (the test run's), so that a smoke test changes nothing for others.
    key = os.environ.get("SHOUHU_ENCRYPTION_KEYS") or crypto.generate_key()
    crypto.configure(Settings(_env_file=None, SHOUHU_ENCRYPTION_KEYS=key))
    config = Settings(
        _env_file=None, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=emu.base_url, DATABASE_URL=url, **settings
    )
    async with running(build_application(config, db, CONTENT), polling=True) as application:
        yield application


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the value that `share` of the values are at or below."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def summary(seconds: list[float]) -> str:
    return (
        f"p50 {percentile(seconds, 0.5) * 1000:.0f} ms, p99 {percentile(seconds, 0.99) * 1000:.0f} ms, "
        f"max {max(seconds) * 1000:.0f} ms, mean {statistics.mean(seconds) * 1000:.0f} ms"
    )
