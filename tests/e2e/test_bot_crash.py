"""The real bot process stopped hard and softly: after kill -9 no update is lost and none is handled twice; on
SIGTERM the outbox message on its way is recorded as sent, not left to be sent again."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.outbox.enqueue import enqueue
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.telegram.inbox_models import InboundUpdate
from tests import factories
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


def bot_env(emulator, database_url: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
    }


async def test_updates_confirmed_to_telegram_survive_a_kill_9(db, database_url, emulator, clock, tmp_path) -> None:
    env = bot_env(emulator, database_url)
    people = [emulator.user(user_id=5000 + n, first_name=f"P{n}", language_code="en") for n in range(PEOPLE)]
    emulator.hold("sendMessage", after=ANSWERED_BEFORE_THE_CRASH)
    async with bot_process(tmp_path, env, clock) as process:
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

    async with bot_process(tmp_path, env, clock):

        async def all_handled() -> bool:
            return await handled(db) == PEOPLE

        await wait_for(all_handled, "the restarted bot to handle what the crash left")
    replies = Counter(person.user_id for person in people for _message in person.messages)
    assert [p.user_id for p in people if replies[p.user_id] == 0] == [], "lost: updates never answered"
    assert [p.user_id for p in people if replies[p.user_id] > 1] == [], "duplicated: updates answered twice"


async def test_sigterm_while_a_message_is_on_its_way_records_it_as_sent(
    db, database_url, emulator, clock, tmp_path
) -> None:
    grandma = emulator.user(user_id=6001, first_name="A", language_code="en")
    person_id = await factories.person(db, 6001, language="en")
    async with db.session() as session:
        params = {"relation": "mother", "nickname": "Xiaoming"}
        row = await enqueue(session, person_id, "parent_joined", params, not_before=datetime(2026, 1, 1, tzinfo=UTC))
    emulator.delay_next("sendMessage", 1.0)
    async with bot_process(tmp_path, bot_env(emulator, database_url), clock) as process:

        async def on_its_way() -> bool:
            return any(call.method == "sendMessage" and call.status == 0 for call in emulator.calls)

        await wait_for(on_its_way, "the outbox to start sending")
        process.send_signal(signal.SIGTERM)
        await process.wait()
    async with db.session() as session:
        assert (await session.get(OutboxMessage, row.id)).status is OutboxStatus.SENT
    assert len(grandma.messages) == 1
