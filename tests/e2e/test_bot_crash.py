"""kill -9 of the real bot process while Telegram holds its replies: no update is lost, none is handled twice."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

from sqlalchemy import func, select

from bot.telegram.inbox_models import InboundUpdate
from tests.e2e.conftest import BOT_USERNAME, TOKEN
from tests.e2e.test_bot_process import bot_process

PEOPLE = 150
ANSWERED_BEFORE_THE_CRASH = 30


async def handled(db) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).where(InboundUpdate.processed_at.is_not(None)))


async def wait_for(condition, what: str, seconds: float = 60.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


async def test_updates_confirmed_to_telegram_survive_a_kill_9(db, database_url, emulator, tmp_path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
    }
    people = [emulator.user(user_id=5000 + n, first_name=f"P{n}", language_code="en") for n in range(PEOPLE)]
    emulator.hold("sendMessage", after=ANSWERED_BEFORE_THE_CRASH)
    async with bot_process(tmp_path, env) as process:
        for person in people:
            person.send_text("/start")

        async def crash_point() -> bool:
            # Every update fetched and confirmed to Telegram, 30 answered and marked, the next replies in flight.
            return not emulator.pending_updates and emulator.held > 0 and await handled(db) == 30

        await wait_for(crash_point, "the bot to fetch everything and stall on its replies")
        process.send_signal(signal.SIGKILL)
        await process.wait()
    emulator.drop_held()
    assert not emulator.pending_updates, "Telegram holds none of them any more: only the bot's inbox does"

    async with bot_process(tmp_path, env):

        async def all_handled() -> bool:
            return await handled(db) == PEOPLE

        await wait_for(all_handled, "the restarted bot to handle what the crash left")
    replies = Counter(person.user_id for person in people for _message in person.messages)
    assert [p.user_id for p in people if replies[p.user_id] == 0] == [], "lost: updates never answered"
    assert [p.user_id for p in people if replies[p.user_id] > 1] == [], "duplicated: updates answered twice"
