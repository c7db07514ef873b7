"""The inbox when the database misbehaves: the bot stays able to hear and answer, and a broken stored update
does not stop it from starting."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.telegram.inbox import Inbox
from bot.telegram.inbox_models import InboundUpdate
from tests.e2e.conftest import bot_running


async def test_two_deliveries_of_one_update_stored_at_once_store_it_once(db, clock) -> None:
    inbox = Inbox(db)
    payload = {"update_id": 41, "message": {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}}}
    first, second = await asyncio.gather(inbox.store(41, payload), inbox.store(41, payload))
    assert sorted([first, second]) == [False, True]
    assert await inbox.unhandled() == [(41, payload)]


async def test_a_locked_database_delays_updates_without_deafening_the_bot(
    db, database_url, emulator, clock, monkeypatch, caplog
) -> None:
    real_store = Inbox.store_batch
    failures = iter(range(5))

    async def locked_at_first(self: Inbox, updates):
        if next(failures, None) is not None:
            raise OperationalError("INSERT INTO inbound_updates", {}, Exception("database is locked"))
        return await real_store(self, updates)

    monkeypatch.setattr(Inbox, "store_batch", locked_at_first)
    grandma = emulator.user(user_id=1001, first_name="A", language_code="en")
    async with bot_running(db, database_url, emulator):
        grandma.send_text("/start")
        await grandma.wait_for_message(timeout=15)
        grandma.send_text("/help")
        await grandma.wait_for_message(timeout=15)
    assert len(grandma.messages) == 2, "each update answered once"
    assert "inbox: storing 1 fetched updates failed" in caplog.text
    assert "database is locked" not in caplog.text, "only the error's type is logged"


async def test_a_stored_update_that_no_longer_parses_is_skipped_at_start(
    db, database_url, emulator, clock, caplog
) -> None:
    grandma = emulator.user(user_id=1001, first_name="A", language_code="en")
    good = {
        "update_id": 11,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": grandma.as_chat(),
            "from": grandma.as_user(),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    async with db.session() as session:
        session.add(InboundUpdate(update_id=10, payload={"update_id": 10, "message": {"message_id": 1}}))
        session.add(InboundUpdate(update_id=11, payload=good))
    with caplog.at_level(logging.ERROR):
        async with bot_running(db, database_url, emulator):
            await grandma.wait_for_message(timeout=15)
    assert "stored update 10 cannot be read" in caplog.text
    async with db.session() as session:
        rows = (await session.execute(select(InboundUpdate.update_id, InboundUpdate.processed_at))).all()
    assert all(processed_at is not None for _id, processed_at in rows), "both marked, neither replayed again"


@pytest.fixture(autouse=True)
def _quiet_retries(monkeypatch) -> None:
    monkeypatch.setattr("bot.telegram.inbox.WRITE_RETRY_PAUSES", (0.01, 0.01))


async def test_pruning_forgets_handled_updates_past_the_retention_and_keeps_unhandled_ones(db, clock) -> None:
    clock.move_to(datetime(2026, 12, 1, tzinfo=UTC))
    inbox = Inbox(db)
    await inbox.store_batch([(1, {"update_id": 1}), (2, {"update_id": 2})])
    await inbox.mark_handled(1)
    assert await inbox.prune(datetime(2026, 12, 7, tzinfo=UTC), timedelta(days=7)) == 0
    assert await inbox.prune(datetime(2026, 12, 9, tzinfo=UTC), timedelta(days=7)) == 1
    assert await inbox.unhandled() == [(2, {"update_id": 2})]
