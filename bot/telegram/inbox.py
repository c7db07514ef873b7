"""The inbox: each update is stored under its `update_id` before it is handled.

Telegram delivers at least once, so a repeated `update_id` is dropped. An update stored but not marked
handled (the process died mid-way) is handled again at the next start.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from telegram import Update
from telegram.ext import Application

from bot.db import Database
from bot.telegram.inbox_models import InboundUpdate

KEEP_HANDLED_FOR = timedelta(days=7)


class Inbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def store(self, update_id: int, payload: dict[str, Any]) -> bool:
        """Keep an update until it is handled; False when it was seen before."""
        async with self.db.session() as session:
            if await session.get(InboundUpdate, update_id) is not None:
                return False
            session.add(InboundUpdate(update_id=update_id, payload=payload))
        return True

    async def claim(self, update: Update) -> bool:
        """True when this update still needs handling (new, or stored by the webhook, or left by a crash)."""
        async with self.db.session() as session:
            row = await session.get(InboundUpdate, update.update_id)
            if row is None:
                session.add(InboundUpdate(update_id=update.update_id, payload=update.to_dict()))
                return True
            return row.processed_at is None

    async def mark_handled(self, update_id: int) -> None:
        async with self.db.session() as session:
            row = await session.get(InboundUpdate, update_id)
            if row is not None:
                row.processed_at, row.payload = self.db.clock(), None

    async def unhandled(self) -> list[dict[str, Any]]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(InboundUpdate.payload)
                .where(InboundUpdate.processed_at.is_(None), InboundUpdate.payload.is_not(None))
                .order_by(InboundUpdate.update_id)
            )
            return list(rows)

    async def prune(self) -> None:
        """Forget handled update ids after a week; Telegram never redelivers that late."""
        async with self.db.session() as session:
            await session.execute(
                delete(InboundUpdate).where(
                    InboundUpdate.processed_at.is_not(None),
                    InboundUpdate.received_at < self.db.clock() - KEEP_HANDLED_FOR,
                )
            )


class InboxApplication(Application):
    """A PTB Application that passes every update through the inbox first."""

    inbox: Inbox

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        if not await self.inbox.claim(update):
            return
        await super().process_update(update)
        await self.inbox.mark_handled(update.update_id)

    async def replay_unhandled(self) -> int:
        payloads = await self.inbox.unhandled()
        for payload in payloads:
            await self.update_queue.put(Update.de_json(payload, self.bot))
        return len(payloads)
