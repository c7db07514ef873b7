"""Putting a message in the outbox, inside the caller's transaction, so it commits with the change that caused it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox.models import OutboxMessage, Priority


async def enqueue(
    session: AsyncSession,
    person_id: int | None,
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    private: dict[str, Any] | None = None,
    chat_id: int | None = None,
    priority: Priority = Priority.NORMAL,
    not_before: datetime | None = None,
    dedupe_key: str | None = None,
    resend_if_unsure: bool = True,
) -> OutboxMessage | None:
    """Add a row to the outbox; None (and nothing added) when a row with this dedupe_key already exists.

    `private` parameters (free text about a child) are stored encrypted; the renderer sees them merged in.
    A row without a person goes to `chat_id`, a group chat.
    """
    if (person_id is None) == (chat_id is None):
        raise ValueError("a message goes to a person or to a group chat")
    values: dict[str, Any] = {
        "person_id": person_id,
        "chat_id": chat_id,
        "kind": kind,
        "params": params or {},
        "private_params": json.dumps(private, ensure_ascii=False) if private else None,
        "priority": priority,
        "dedupe_key": dedupe_key,
        "resend_if_unsure": resend_if_unsure,
    }
    if not_before is not None:
        values["not_before"] = not_before
    # ON CONFLICT rather than SELECT-then-INSERT: two transactions deduping the same key must not both insert,
    # and a SAVEPOINT on SQLite's driver could commit the caller's transaction early.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(OutboxMessage)
        .values(values)
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
        .returning(OutboxMessage)
    )
    return await session.scalar(statement)
