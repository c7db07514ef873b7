"""Reading and moving a person's conversation state; every move bumps the revision that buttons carry."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversations.models import Conversation


async def current(session: AsyncSession, person_id: int) -> Conversation | None:
    return await session.get(Conversation, person_id)


async def begin(session: AsyncSession, person_id: int, flow: str, step: str, **data: Any) -> Conversation:
    """Start a flow, replacing whatever flow the person was in."""
    conversation = await current(session, person_id)
    if conversation is None:
        conversation = Conversation(person_id=person_id, flow=flow, step=step, data=data, revision=1)
        session.add(conversation)
    else:
        conversation.flow, conversation.step, conversation.data = flow, step, data
        conversation.revision += 1
    await session.flush()
    return conversation


def advance(conversation: Conversation, step: str, **data: Any) -> Conversation:
    # Assign a new dict: in-place changes to a JSON column are not tracked.
    conversation.data = {**conversation.data, **data}
    conversation.step = step
    conversation.revision += 1
    return conversation


async def end(session: AsyncSession, conversation: Conversation) -> None:
    await session.delete(conversation)
    await session.flush()
