"""The inbox: each update is stored under its `update_id` before Telegram is told it arrived, and before it is handled.

Polling: `InboxBot.get_updates` stores a fetched batch before handing it to PTB's Updater, which confirms the
offset only with its next getUpdates call, so an update confirmed to Telegram is always in the database. Webhooks
store before answering 200. Telegram delivers at least once, so a repeated `update_id` is dropped. An update
stored but not marked handled (the process died mid-way) is handled again at the next start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import Application, ExtBot

from bot.db import Database
from bot.telegram.inbox_models import InboundUpdate

log = logging.getLogger(__name__)

# A failed write is retried after these pauses (seconds) before the caller gives up on this attempt.
WRITE_RETRY_PAUSES = (0.1, 0.5, 2.0)


class Inbox:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.clock = db.clock

    async def store(self, update_id: int, payload: dict[str, Any]) -> bool:
        """Keep an update until it is handled; False when it was seen before."""
        return bool(await self.store_batch([(update_id, payload)]))

    async def store_batch(self, updates: Sequence[tuple[int, dict[str, Any]]]) -> set[int]:
        """Keep these updates until they are handled; returns the ids not seen before.

        ON CONFLICT DO NOTHING rather than SELECT-then-INSERT: the same update stored twice at once (a webhook
        retry racing its first delivery) is no unique violation. Raises SQLAlchemyError when the write fails.
        """
        if not updates:
            return set()
        now = self.clock()
        insert = sqlite.insert if self.db.is_sqlite else postgresql.insert
        statement = (
            insert(InboundUpdate)
            .values([{"update_id": uid, "payload": payload, "received_at": now} for uid, payload in updates])
            .on_conflict_do_nothing(index_elements=[InboundUpdate.update_id])
            .returning(InboundUpdate.update_id)
        )
        async with self.db.session() as session:
            return set(await session.scalars(statement))

    async def is_unhandled(self, update_id: int) -> bool:
        async with self.db.session() as session:
            row = await session.get(InboundUpdate, update_id)
            return row is None or row.processed_at is None

    async def mark_handled(self, update_id: int) -> None:
        """Clear the payload (it may hold what a person wrote) and keep the id, to drop a late duplicate."""
        now = self.clock()
        insert = sqlite.insert if self.db.is_sqlite else postgresql.insert
        statement = (
            insert(InboundUpdate)
            .values(update_id=update_id, received_at=now, processed_at=now, payload=None)
            .on_conflict_do_update(
                index_elements=[InboundUpdate.update_id], set_={"processed_at": now, "payload": None}
            )
        )
        async with self.db.session() as session:
            await session.execute(statement)

    async def unhandled(self) -> list[tuple[int, dict[str, Any]]]:
        async with self.db.session() as session:
            rows = await session.execute(
                select(InboundUpdate.update_id, InboundUpdate.payload)
                .where(InboundUpdate.processed_at.is_(None), InboundUpdate.payload.is_not(None))
                .order_by(InboundUpdate.update_id)
            )
            return [(row.update_id, row.payload) for row in rows]

    async def prune(self, now: datetime, keep_for: timedelta) -> int:
        """Forget handled update ids after `keep_for`; Telegram never redelivers that late."""
        async with self.db.session() as session:
            pruned = await session.execute(
                delete(InboundUpdate).where(
                    InboundUpdate.processed_at.is_not(None), InboundUpdate.received_at < now - keep_for
                )
            )
        return pruned.rowcount


async def with_retries(what: str, write: Callable[[], Any]) -> bool:
    """Run a database write, retrying a failure ("database is locked", a lost connection) after each pause.

    False when every try failed. Only the error's type is logged: its message may quote what a person wrote.
    """
    for attempt, pause in enumerate((*WRITE_RETRY_PAUSES, None), start=1):
        try:
            await write()
            return True
        except SQLAlchemyError as exc:
            log.warning("inbox: %s failed (try %d): %s", what, attempt, type(exc).__name__)
            if pause is None:
                return False
            await asyncio.sleep(pause)
    return False


class InboxBot(ExtBot):
    """PTB's bot, except that every batch getUpdates fetches is in the inbox before the Updater sees it."""

    def __init__(self, *args: Any, inbox: Inbox, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inbox = inbox  # PTB's bot allows only private attributes to be set

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        updates = await super().get_updates(*args, **kwargs)
        batch = [(update.update_id, update.to_dict()) for update in updates]
        if not await with_retries(f"storing {len(batch)} fetched updates", lambda: self._inbox.store_batch(batch)):
            # Hand PTB nothing: its offset stays put, so Telegram keeps these updates and the next poll gets them
            # again. The fetcher lives on, and updates already stored are still being handled.
            return ()
        return updates


class InboxApplication(Application):
    """A PTB Application that handles each stored update once and then marks it handled."""

    inbox: Inbox

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Updates being handled by this process: a copy fetched again, or replayed as well, is dropped.
        self._in_hand: set[int] = set()

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        update_id = update.update_id
        if update_id in self._in_hand:
            return
        self._in_hand.add(update_id)
        try:
            try:
                unhandled = await self.inbox.is_unhandled(update_id)
            except SQLAlchemyError as exc:
                # Handling it twice is better than losing it: the database will be asked again when marking.
                log.warning("inbox: could not check update %d: %s", update_id, type(exc).__name__)
                unhandled = True
            if not unhandled:
                return
            await super().process_update(update)
            # If this fails for good, the update stays unhandled and is handled again at the next start.
            await with_retries(f"marking update {update_id} handled", lambda: self.inbox.mark_handled(update_id))
        finally:
            self._in_hand.discard(update_id)

    async def replay_unhandled(self) -> int:
        """Queue what the last run stored but never handled; a payload that is no longer an update is skipped."""
        replayed = 0
        for update_id, payload in await self.inbox.unhandled():
            try:
                update = Update.de_json(payload, self.bot)
            except Exception as exc:
                log.error("inbox: stored update %d cannot be read (%s); skipped", update_id, type(exc).__name__)
                await self.inbox.mark_handled(update_id)
                continue
            await self.update_queue.put(update)
            replayed += 1
        return replayed
