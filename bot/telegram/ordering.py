"""Updates of different chats are handled at the same time; the updates of one chat one after another, in order.

A person's screens and conversation state follow from their updates in order (a press, then the next); other
people need not wait for that. PTB's update queue is in arrival order, each update becomes a task in that order,
and `asyncio.Lock` wakes its waiters first come first served, so one chat's updates keep their order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}  # updates holding or awaiting each lock, to drop idle locks

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:
                del self._holders[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up: locks are made as chats appear."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def chat_key(update: object) -> int | None:
    """The chat whose updates must stay in order: the chat, else the user (an inline query has no chat)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None
